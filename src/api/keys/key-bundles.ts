/**
 * Storage records → Key Vault wire models (KeyBundle, DeletedKeyBundle, KeyItem, DeletedKeyItem).
 *
 * Identifiers are absolute URLs on the origin the client used (`https://host/keys/{name}/{version}`): the SDKs
 * parse every object from them and follow them back to the same origin.
 */
import { WIRE_KEY_TYPE } from '../../domain/keys/key-types.ts';
import type { AttestedKey } from '../../domain/keys/key-attestation.ts';
import { STRONGROOM_HSM_PLATFORM } from '../../domain/keys/key-attestation-statement.ts';
import type { Deleted, KeyAttributes, KeyVersion, KeyVersionMeta } from '../../domain/keys/key-model.ts';
import { wireKeyAttributes } from '../../domain/keys/key-attributes-wire.ts';

export interface Presentation {
  /** `https://host[:port]` as the client addressed the service. */
  origin: string;
  retentionDays: number;
}

export function keyId(origin: string, name: string, version?: string): string {
  return version === undefined ? `${origin}/keys/${name}` : `${origin}/keys/${name}/${version}`;
}

export function toKeyBundle(record: KeyVersion, view: Presentation) {
  return {
    key: {
      kid: keyId(view.origin, record.name, record.version),
      kty: WIRE_KEY_TYPE[record.family],
      key_ops: record.keyOps,
      ...record.publicJwk,
    },
    attributes: toAttributes(record.attributes, view),
    ...(record.tags === undefined ? {} : { tags: record.tags }),
    ...(record.releasePolicy === undefined ? {} : { release_policy: record.releasePolicy }),
  };
}

/** The key bundle of getKeyAttestation: `attributes` carry `hsmPlatform` and the signed `attestation`. */
export function toAttestedKeyBundle(attested: AttestedKey, view: Presentation) {
  const bundle = toKeyBundle(attested.record, view);
  return { ...bundle, attributes: { ...bundle.attributes, hsmPlatform: STRONGROOM_HSM_PLATFORM, attestation: attested.attestation } };
}

export function toDeletedKeyBundle(record: Deleted<KeyVersion>, view: Presentation) {
  return { ...toKeyBundle(record, view), ...deletionFields(record, view) };
}

/** A list item: the key's base id in `listKeys`, the versioned id in `listKeyVersions`. */
export function toKeyItem(meta: KeyVersionMeta, view: Presentation, withVersion: boolean) {
  return {
    kid: keyId(view.origin, meta.name, withVersion ? meta.version : undefined),
    attributes: toAttributes(meta.attributes, view),
    ...(meta.tags === undefined ? {} : { tags: meta.tags }),
  };
}

export function toDeletedKeyItem(meta: Deleted<KeyVersionMeta>, view: Presentation) {
  return { ...toKeyItem(meta, view, false), ...deletionFields(meta, view) };
}

function deletionFields(meta: Deleted<KeyVersionMeta>, view: Presentation) {
  return {
    recoveryId: `${view.origin}/deletedkeys/${meta.name}`,
    deletedDate: meta.deletion.deletedDate,
    scheduledPurgeDate: meta.deletion.scheduledPurgeDate,
  };
}

function toAttributes(attributes: KeyAttributes, view: Presentation) {
  return wireKeyAttributes(attributes, view.retentionDays);
}
