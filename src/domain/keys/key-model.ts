/**
 * The key aggregate as the domain knows it: a key (a name, soft-deleted or not) and its versions. Plain data,
 * no behaviour: the rules live in the lifecycle modules beside this one, storage keeps these records as they
 * are, and the API layer maps them to the wire.
 *
 * Names are compared case-insensitively; a key keeps the display name it was first created with.
 * Private material only ever appears here sealed by the keystore (`sealedMaterial`).
 */
import type { CurveName, KeyFamily, PublicJwk } from '../../crypto/key-material.ts';
import type { IntDate } from '../../lib/intdate.ts';

export interface KeyAttributes {
  enabled: boolean;
  nbf?: IntDate | undefined;
  exp?: IntDate | undefined;
  exportable: boolean;
  /**
   * Cloud HSM's CKA_TRUSTED: the key may wrap keys marked wrapWithTrusted. Set only by an administrator
   * (key-trust.ts). Absent means false (records made in code before it existed; storage always sets it).
   */
  trusted?: boolean | undefined;
  /**
   * Cloud HSM's CKA_WRAP_WITH_TRUSTED: exported only wrapped by a trusted key; once true, never false again.
   * Absent means true, the default of every key Strongroom makes.
   */
  wrapWithTrusted?: boolean | undefined;
  created: IntDate;
  updated: IntDate;
}

export interface ReleasePolicy {
  contentType: string;
  immutable: boolean;
  /** base64url of the policy document, as the client sent it. */
  data: string;
}

/**
 * How a version's material came to be inside the boundary: generated here (create, rotate), imported as a JSON
 * Web Key (plaintext over TLS), or imported from a BYOK transfer blob (wrapped end to end). Key attestation
 * states it. Versions stored before this was recorded have none.
 */
export type KeyOrigin = 'generated' | 'imported' | 'byok';

/** What listings need: no key material, sealed or public. */
export interface KeyVersionMeta {
  name: string;
  version: string;
  family: KeyFamily;
  keySize?: number | undefined;
  curve?: CurveName | undefined;
  keyOps: string[];
  attributes: KeyAttributes;
  tags?: Record<string, string> | undefined;
  releasePolicy?: ReleasePolicy | undefined;
  origin?: KeyOrigin | undefined;
}

export interface KeyVersion extends KeyVersionMeta {
  publicJwk: PublicJwk;
  /** The private material sealed by the keystore; opaque to everyone but the keystore. */
  sealedMaterial: Buffer;
  /**
   * Bumped by every change of this version's row. An update names the row version it read, and storage refuses
   * it when the row changed since (optimistic concurrency); set by storage, ignored when a version is added.
   */
  rowVersion: number;
}

export interface DeletionInfo {
  deletedDate: IntDate;
  scheduledPurgeDate: IntDate;
}

export type Deleted<T> = T & { deletion: DeletionInfo };

/** Changes to one version; `undefined` members stay as they are, `null` clears nbf/exp. */
export interface KeyVersionPatch {
  keyOps?: string[] | undefined;
  enabled?: boolean | undefined;
  nbf?: IntDate | null | undefined;
  exp?: IntDate | null | undefined;
  exportable?: boolean | undefined;
  trusted?: boolean | undefined;
  wrapWithTrusted?: boolean | undefined;
  tags?: Record<string, string> | undefined;
  releasePolicy?: ReleasePolicy | undefined;
  updated: IntDate;
}

/** `trusted`, absent meaning false. */
export const isTrusted = (attributes: KeyAttributes): boolean => attributes.trusted === true;

/** `wrapWithTrusted`, absent meaning true. */
export const mustWrapWithTrusted = (attributes: KeyAttributes): boolean => attributes.wrapWithTrusted !== false;
