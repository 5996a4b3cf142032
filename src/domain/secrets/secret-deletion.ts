/**
 * Soft delete of secrets and what follows it: deleteSecret, recoverDeletedSecret, purgeDeletedSecret, and
 * purgeExpiredSecrets, the purge job's operation for deleted secrets whose retention has run out. Keys have
 * their own (domain/keys/key-deletion.ts): deleting or purging one never touches the other namespace.
 */
import { writeOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { deletedSecretNotFound, secretNotFound } from './secret-errors.ts';
import type { Deleted, SecretVersion } from './secret-model.ts';
import { SECRETS_SCOPE, secretFields, secretScope } from './secret-scope.ts';

const SECONDS_PER_DAY = 86_400;

type NameInput = { name: string };

export const deleteSecret = writeOperation<NameInput, Deleted<SecretVersion>>({
  name: 'deleteSecret',
  dataAction: DataActions.deleteSecret,
  scope: (input) => secretScope(input.name),
  audit: (input) => secretFields(input.name),
  async run({ input, now, env }, unit) {
    const deleted = await unit.secrets.deleteSecret(input.name, {
      deletedDate: now,
      scheduledPurgeDate: now + env.retentionDays * SECONDS_PER_DAY,
    });
    if (deleted === undefined) throw secretNotFound(input.name);
    return deleted;
  },
});

export const recoverDeletedSecret = writeOperation<NameInput, SecretVersion>({
  name: 'recoverDeletedSecret',
  dataAction: DataActions.recoverDeletedSecret,
  scope: (input) => secretScope(input.name),
  audit: (input) => secretFields(input.name),
  async run({ input }, unit) {
    const recovered = await unit.secrets.recoverDeletedSecret(input.name);
    if (recovered === undefined) throw deletedSecretNotFound(input.name);
    return recovered;
  },
});

export const purgeDeletedSecret = writeOperation<NameInput, void>({
  name: 'purgeDeletedSecret',
  dataAction: DataActions.purgeDeletedSecret,
  scope: (input) => secretScope(input.name),
  audit: (input) => secretFields(input.name),
  async run({ input }, unit) {
    if (!(await unit.secrets.purgeDeletedSecret(input.name))) throw deletedSecretNotFound(input.name);
  },
});

/** Not an Azure operation: the purge job runs it as the system caller. */
export const purgeExpiredSecrets = writeOperation<Record<string, never>, string[]>({
  name: 'purgeExpiredSecrets',
  // Before activation there is no secret to purge; the job's runs then simply find nothing.
  beforeActivation: true,
  dataAction: DataActions.purgeDeletedSecret,
  scope: () => SECRETS_SCOPE,
  audit: (_input, output) => ({ purged: output?.length ?? 0 }),
  run: ({ now }, unit) => unit.secrets.purgeExpiredSecrets(now),
});
