/**
 * The secret aggregate as the domain knows it: a secret (a name, soft-deleted or not) and its versions. Plain
 * data, as keys' model is (domain/keys/key-model.ts): the rules live in the modules beside this one.
 *
 * Names are compared case-insensitively; a secret keeps the display name it was first created with. Keys and
 * secrets are separate namespaces: a key and a secret may share a name, each with its own soft delete.
 * The value only ever appears here sealed (`sealedValue`, keystore/secret-sealing.ts).
 */
import type { IntDate } from '../../lib/intdate.ts';
import type { Deleted, DeletionInfo } from '../keys/key-model.ts';

export type { Deleted, DeletionInfo };

export interface SecretAttributes {
  enabled: boolean;
  nbf?: IntDate | undefined;
  exp?: IntDate | undefined;
  created: IntDate;
  updated: IntDate;
}

/** What listings need: no value, sealed or not. */
export interface SecretVersionMeta {
  name: string;
  version: string;
  contentType?: string | undefined;
  attributes: SecretAttributes;
  tags?: Record<string, string> | undefined;
}

export interface SecretVersion extends SecretVersionMeta {
  /** The value's UTF-8 bytes sealed under the `key-material` root, bound to name and version. */
  sealedValue: Buffer;
  /** Bumped by every change of this version's row (optimistic concurrency), as key versions' is. */
  rowVersion: number;
}

/** Changes to one version; `undefined` members stay as they are, `null` clears nbf/exp. Never the value. */
export interface SecretVersionPatch {
  enabled?: boolean | undefined;
  nbf?: IntDate | null | undefined;
  exp?: IntDate | null | undefined;
  contentType?: string | undefined;
  tags?: Record<string, string> | undefined;
  updated: IntDate;
}

/** A secret, active or soft-deleted, with every version (oldest first): what a backup holds. */
export interface WholeSecret {
  name: string;
  versions: SecretVersion[];
  deletion?: DeletionInfo | undefined;
}
