/**
 * Operations that read secrets: getSecret (the one that hands out a value: only an enabled version inside its
 * nbf/exp window), getSecrets, getSecretVersions, getDeletedSecret, getDeletedSecrets (metadata only).
 */
import { openSecretValue } from '../../keystore/secret-sealing.ts';
import type { Page, PageRequest } from '../../storage/store.ts';
import { readOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { assertReadable } from './secret-attributes.ts';
import { deletedSecretNotFound, secretNotFound } from './secret-errors.ts';
import type { Deleted, SecretVersion, SecretVersionMeta } from './secret-model.ts';
import { emptyAsLatest } from './secret-names.ts';
import { SECRETS_SCOPE, secretFields, secretScope } from './secret-scope.ts';

export interface SecretAddress {
  name: string;
  /** Empty or missing: the latest version. */
  version?: string | undefined;
}

export const getSecret = readOperation<SecretAddress, { record: SecretVersion; value: string }>({
  name: 'getSecret',
  dataAction: DataActions.getSecret,
  scope: (input) => secretScope(input.name),
  audit: (input, output) => secretFields(input.name, output?.record.version ?? input.version),
  async run({ input, now, env }, store) {
    const record = await store.secrets.getSecretVersion(input.name, emptyAsLatest(input.version));
    if (record === undefined) throw secretNotFound(input.name, input.version);
    assertReadable(record, now);
    return { record, value: openSecretValue(env.custody.roots.keyMaterial, record) };
  },
});

export const getSecrets = readOperation<{ page: PageRequest }, Page<SecretVersionMeta>>({
  name: 'getSecrets',
  dataAction: DataActions.readSecretMetadata,
  scope: () => SECRETS_SCOPE,
  audit: () => ({}),
  run: ({ input }, store) => store.secrets.listSecrets(input.page),
});

/** The versions of a secret; a name that does not exist has none (an empty page, as for keys). */
export const getSecretVersions = readOperation<{ name: string; page: PageRequest }, Page<SecretVersionMeta>>({
  name: 'getSecretVersions',
  dataAction: DataActions.readSecretMetadata,
  scope: (input) => secretScope(input.name),
  audit: (input) => secretFields(input.name),
  async run({ input }, store) {
    return (await store.secrets.listSecretVersions(input.name, input.page)) ?? { items: [] };
  },
});

export const getDeletedSecret = readOperation<{ name: string }, Deleted<SecretVersion>>({
  name: 'getDeletedSecret',
  dataAction: DataActions.readSecretMetadata,
  scope: (input) => secretScope(input.name),
  audit: (input) => secretFields(input.name),
  async run({ input }, store) {
    const deleted = await store.secrets.getDeletedSecret(input.name);
    if (deleted === undefined) throw deletedSecretNotFound(input.name);
    return deleted;
  },
});

export const getDeletedSecrets = readOperation<{ page: PageRequest }, Page<Deleted<SecretVersionMeta>>>({
  name: 'getDeletedSecrets',
  dataAction: DataActions.readSecretMetadata,
  scope: () => SECRETS_SCOPE,
  audit: () => ({}),
  run: ({ input }, store) => store.secrets.listDeletedSecrets(input.page),
});
