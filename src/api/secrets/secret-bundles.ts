/**
 * Secret records → Key Vault wire models (SecretBundle, DeletedSecretBundle, SecretItem, DeletedSecretItem).
 * Ids are absolute URLs on the origin the client used (`https://host/secrets/{name}/{version}`): the SDK parses
 * every object from `id`. A value appears only where the caller passes one (getSecret, setSecret).
 */
import type { Deleted, SecretVersionMeta } from '../../domain/secrets/secret-model.ts';
import { wireLifecycleAttributes } from '../../domain/lifecycle-attributes.ts';

export interface Presentation {
  origin: string;
  retentionDays: number;
}

export function secretId(origin: string, name: string, version?: string): string {
  return version === undefined ? `${origin}/secrets/${name}` : `${origin}/secrets/${name}/${version}`;
}

/** A bundle; `value` only for the two operations that hand one out. */
export function toSecretBundle(record: SecretVersionMeta, view: Presentation, value?: string) {
  return {
    ...(value === undefined ? {} : { value }),
    id: secretId(view.origin, record.name, record.version),
    ...common(record, view),
  };
}

export function toDeletedSecretBundle(record: Deleted<SecretVersionMeta>, view: Presentation) {
  return { ...toSecretBundle(record, view), ...deletionFields(record, view) };
}

/** A list item: the secret's base id in `listSecrets`, the versioned id in `listSecretVersions`. */
export function toSecretItem(meta: SecretVersionMeta, view: Presentation, withVersion: boolean) {
  return { id: secretId(view.origin, meta.name, withVersion ? meta.version : undefined), ...common(meta, view) };
}

export function toDeletedSecretItem(meta: Deleted<SecretVersionMeta>, view: Presentation) {
  return { ...toSecretItem(meta, view, false), ...deletionFields(meta, view) };
}

function common(meta: SecretVersionMeta, view: Presentation) {
  return {
    ...(meta.contentType === undefined ? {} : { contentType: meta.contentType }),
    attributes: wireLifecycleAttributes(meta.attributes, view.retentionDays),
    ...(meta.tags === undefined ? {} : { tags: meta.tags }),
  };
}

function deletionFields(meta: Deleted<SecretVersionMeta>, view: Presentation) {
  return {
    recoveryId: `${view.origin}/deletedsecrets/${meta.name}`,
    deletedDate: meta.deletion.deletedDate,
    scheduledPurgeDate: meta.deletion.scheduledPurgeDate,
  };
}
