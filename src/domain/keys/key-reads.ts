/** Operations that read keys: getKey, getKeys, getKeyVersions, getDeletedKey, getDeletedKeys. */
import { deletedKeyNotFound, keyNotFound } from '../../errors/errors.ts';
import type { Page, PageRequest } from '../../storage/store.ts';
import { readOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import type { Deleted, KeyVersion, KeyVersionMeta } from './key-model.ts';
import { emptyAsLatest } from './key-names.ts';
import { KEYS_SCOPE, keyFields, keyScope } from './key-scope.ts';

export interface KeyAddress {
  name: string;
  /** Empty or missing: the latest version. */
  version?: string | undefined;
}

export const getKey = readOperation<KeyAddress, KeyVersion>({
  name: 'getKey',
  dataAction: DataActions.readKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => keyFields(input.name, output?.version ?? input.version),
  async run({ input }, store) {
    const record = await store.keys.getKeyVersion(input.name, emptyAsLatest(input.version));
    if (record === undefined) throw keyNotFound(input.name, input.version);
    return record;
  },
});

export const getKeys = readOperation<{ page: PageRequest }, Page<KeyVersionMeta>>({
  name: 'getKeys',
  dataAction: DataActions.readKey,
  scope: () => KEYS_SCOPE,
  audit: () => ({}),
  run: ({ input }, store) => store.keys.listKeys(input.page),
});

/** The versions of a key; a name that does not exist has none (Key Vault answers an empty page, not 404). */
export const getKeyVersions = readOperation<{ name: string; page: PageRequest }, Page<KeyVersionMeta>>({
  name: 'getKeyVersions',
  dataAction: DataActions.readKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  async run({ input }, store) {
    return (await store.keys.listKeyVersions(input.name, input.page)) ?? { items: [] };
  },
});

export const getDeletedKey = readOperation<{ name: string }, Deleted<KeyVersion>>({
  name: 'getDeletedKey',
  dataAction: DataActions.readDeletedKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  async run({ input }, store) {
    const deleted = await store.keys.getDeletedKey(input.name);
    if (deleted === undefined) throw deletedKeyNotFound(input.name);
    return deleted;
  },
});

export const getDeletedKeys = readOperation<{ page: PageRequest }, Page<Deleted<KeyVersionMeta>>>({
  name: 'getDeletedKeys',
  dataAction: DataActions.readDeletedKey,
  scope: () => KEYS_SCOPE,
  audit: () => ({}),
  run: ({ input }, store) => store.keys.listDeletedKeys(input.page),
});
