/**
 * Secret backup and restore (Key Vault's backupSecret / restoreSecret): every version of a secret, sealed under
 * the domain's backup root (custody/backup-blob.ts) as an opaque base64url blob. Only an instance of the same
 * security domain restores it; into another domain, or from a damaged blob, the restore is refused and nothing
 * is stored. A name that exists here (active or soft-deleted) is not overwritten: 409, as Key Vault answers.
 *
 * The envelope's kinds (`key`, `fullBackupObject`) have no `secret` yet; a secret backup uses kind `key` with the
 * object name `#secret`, which no key backup uses (theirs is empty) and no name can spell, so the associated
 * data keeps a key backup and a secret backup from being passed off as each other.
 */
import { BackupBlobError, openBackup, sealBackup } from '../../custody/backup-blob.ts';
import { badParameter, malformedBackup } from '../../errors/errors.ts';
import type { Readers } from '../../storage/store.ts';
import { readOperation, writeOperation, type OperationEnvironment } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { secretBackupDocument, SecretBackupDocumentError, secretFromBackup } from './secret-backup-document.ts';
import { secretIsDeletedButRecoverable, secretNameTaken, secretNotFound } from './secret-errors.ts';
import type { SecretVersion, WholeSecret } from './secret-model.ts';
import { SECRETS_SCOPE, secretFields, secretScope } from './secret-scope.ts';

const BLOB_KIND = 'key';
const BLOB_NAME = '#secret';
export const backupSecret = readOperation<{ name: string }, string>({
  name: 'backupSecret',
  dataAction: DataActions.backupSecret,
  scope: (input) => secretScope(input.name),
  audit: (input) => secretFields(input.name),
  async run({ input, env }, store) {
    const secret = await store.secrets.getSecretWithVersions(input.name);
    if (secret === undefined || secret.deletion !== undefined) throw secretNotFound(input.name);
    const { custody } = env;
    const document = secretBackupDocument({ name: secret.name, versions: secret.versions }, custody.roots.keyMaterial);
    try {
      return sealBackup(custody.roots.backup, custody.domain.id, BLOB_KIND, BLOB_NAME, document).toString('base64url');
    } finally {
      document.fill(0);
    }
  },
});

export const restoreSecret = writeOperation<{ value: unknown }, SecretVersion, WholeSecret>({
  name: 'restoreSecret',
  dataAction: DataActions.restoreSecret,
  scope: () => SECRETS_SCOPE,
  audit: (_input, output) => (output === undefined ? {} : secretFields(output.name, output.version)),
  async prepare({ input, env }, store) {
    const restored = openSecretBackup(input.value, env);
    await assertNameFree(store, restored.name);
    return restored;
  },
  async run(_call, unit, restored) {
    await assertNameFree(unit, restored.name);
    for (const version of restored.versions) {
      if ((await unit.secrets.addSecretVersion(version)) === 'name-is-deleted') throw secretIsDeletedButRecoverable(restored.name);
    }
    const latest = await unit.secrets.getSecretVersion(restored.name);
    if (latest === undefined) throw new Error('a restored secret is not readable in its own unit of work');
    return latest;
  },
});

function openSecretBackup(value: unknown, env: OperationEnvironment): WholeSecret {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(value)) throw malformedBackup();
  const { custody } = env;
  let plaintext: Buffer;
  try {
    plaintext = openBackup(custody.roots.backup, custody.domain.id, BLOB_KIND, BLOB_NAME, Buffer.from(value, 'base64url'));
  } catch (error) {
    if (error instanceof BackupBlobError && error.problem === 'another-domain') {
      throw badParameter(`The backup belongs to another security domain (${error.domainId?.slice(0, 8)}); it can be restored only into an instance of that domain.`);
    }
    if (error instanceof BackupBlobError) throw malformedBackup();
    throw error;
  }
  try {
    return secretFromBackup(plaintext, custody.roots.keyMaterial);
  } catch (error) {
    if (error instanceof SecretBackupDocumentError) throw malformedBackup();
    throw error;
  } finally {
    plaintext.fill(0);
  }
}

async function assertNameFree(store: Pick<Readers, 'secrets'>, name: string): Promise<void> {
  if ((await store.secrets.getDeletedSecret(name)) !== undefined) throw secretIsDeletedButRecoverable(name);
  if ((await store.secrets.getSecretVersion(name)) !== undefined) throw secretNameTaken(name);
}
