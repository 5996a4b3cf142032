/**
 * Soft delete and what follows it: deleteKey, recoverDeletedKey, purgeDeletedKey, and purgeExpiredKeys, the
 * scheduled job's operation that purges deleted keys whose retention has run out. A purge drops the key's
 * parsed material from this process's keystore once its unit has committed (never before, never on rollback).
 */
import { deletedKeyNotFound, keyNotFound } from '../../errors/errors.ts';
import { writeOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import type { Deleted, KeyVersion } from './key-model.ts';
import { KEYS_SCOPE, keyFields, keyScope } from './key-scope.ts';

const SECONDS_PER_DAY = 86_400;

type NameInput = { name: string };

export const deleteKey = writeOperation<NameInput, Deleted<KeyVersion>>({
  name: 'deleteKey',
  dataAction: DataActions.deleteKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  async run({ input, now, env }, unit) {
    const deleted = await unit.keys.deleteKey(input.name, {
      deletedDate: now,
      scheduledPurgeDate: now + env.retentionDays * SECONDS_PER_DAY,
    });
    if (deleted === undefined) throw keyNotFound(input.name);
    return deleted;
  },
});

export const recoverDeletedKey = writeOperation<NameInput, KeyVersion>({
  name: 'recoverDeletedKey',
  dataAction: DataActions.recoverDeletedKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  async run({ input }, unit) {
    const recovered = await unit.keys.recoverDeletedKey(input.name);
    if (recovered === undefined) throw deletedKeyNotFound(input.name);
    return recovered;
  },
});

export const purgeDeletedKey = writeOperation<NameInput, void>({
  name: 'purgeDeletedKey',
  dataAction: DataActions.purgeDeletedKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  async run({ input, env }, unit) {
    if (!(await unit.keys.purgeDeletedKey(input.name))) throw deletedKeyNotFound(input.name);
    unit.afterCommit(() => env.keystore.forget(input.name));
  },
});

/** Not an Azure operation: the purge job runs it as the system caller. */
export const purgeExpiredKeys = writeOperation<Record<string, never>, string[]>({
  name: 'purgeExpiredKeys',
  // Before activation there is no key to purge; the job's runs then simply find nothing.
  beforeActivation: true,
  dataAction: DataActions.purgeDeletedKey,
  scope: () => KEYS_SCOPE,
  audit: (_input, output) => ({ purged: output?.length ?? 0 }),
  async run({ now, env }, unit) {
    const purged = await unit.keys.purgeExpiredKeys(now);
    unit.afterCommit(() => {
      for (const name of purged) env.keystore.forget(name);
    });
    return purged;
  },
});
