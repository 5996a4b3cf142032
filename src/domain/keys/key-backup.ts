/**
 * Key backup and restore (Key Vault's backupKey / restoreKey): every version of a key, sealed under the domain's
 * backup root (custody/backup-blob.ts), as an opaque base64url blob. Only an instance of the same security
 * domain restores it; into another domain, or from a damaged blob, the restore is refused and nothing is stored.
 * A name that exists here (active or soft-deleted) is not overwritten: 409.
 */
import { BackupBlobError, openBackup, sealBackup } from '../../custody/backup-blob.ts';
import { CryptoError } from '../../crypto/crypto-error.ts';
import { badParameter, keyIsDeletedButRecoverable, keyNotFound, malformedBackup } from '../../errors/errors.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import type { Readers } from '../../storage/store.ts';
import { readOperation, writeOperation, type OperationEnvironment } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { keyBackupDocument, KeyBackupDocumentError, versionsFromBackup } from './key-backup-document.ts';
import type { KeyVersion } from './key-model.ts';
import { KEYS_SCOPE, keyFields, keyScope } from './key-scope.ts';
import { addCheckedVersion } from './key-lifecycle.ts';

export const backupKey = readOperation<{ name: string }, string>({
  name: 'backupKey',
  dataAction: DataActions.backupKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  async run({ input, env }, store) {
    const key = await store.keys.getKeyWithVersions(input.name);
    if (key === undefined || key.deletion !== undefined) throw keyNotFound(input.name);
    const document = keyBackupDocument(key.name, key.versions, env.keystore);
    try {
      const { custody } = env;
      return sealBackup(custody.roots.backup, custody.domain.id, 'key', '', document).toString('base64url');
    } finally {
      document.fill(0);
    }
  },
});

export const restoreKeyBackup = writeOperation<{ value: unknown }, KeyVersion, { name: string; versions: KeyVersion[] }>({
  name: 'restoreKey',
  dataAction: DataActions.restoreKey,
  scope: () => KEYS_SCOPE,
  audit: (_input, output) => (output === undefined ? {} : keyFields(output.name, output.version)),
  async prepare({ input, env }, store) {
    const restored = openKeyBackup(input.value, env);
    await assertNameFree(store, restored.name);
    return restored;
  },
  async run(call, unit, restored) {
    await assertNameFree(unit, restored.name);
    // A restored key counts against the object limits as a created one does, version by version.
    for (const version of restored.versions) await addCheckedVersion(unit, version, call.env);
    const latest = await unit.keys.getKeyVersion(restored.name);
    if (latest === undefined) throw new Error('a restored key is not readable in its own unit of work');
    return latest;
  },
});

function openKeyBackup(value: unknown, env: OperationEnvironment): { name: string; versions: KeyVersion[] } {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(value)) throw malformedBackup();
  const { custody } = env;
  let plaintext: Buffer;
  try {
    plaintext = openBackup(custody.roots.backup, custody.domain.id, 'key', '', Buffer.from(value, 'base64url'));
  } catch (error) {
    if (error instanceof BackupBlobError && error.problem === 'another-domain') {
      throw badParameter(`The backup belongs to another security domain (${error.domainId?.slice(0, 8)}); it can be restored only into an instance of that domain.`);
    }
    if (error instanceof BackupBlobError) throw malformedBackup();
    throw error;
  }
  try {
    return versionsFromBackup(plaintext, env.keystore);
  } catch (error) {
    if (error instanceof KeyBackupDocumentError || error instanceof CryptoError) throw malformedBackup();
    throw error;
  } finally {
    plaintext.fill(0);
  }
}

async function assertNameFree(store: Pick<Readers, 'keys'>, name: string): Promise<void> {
  if ((await store.keys.getDeletedKey(name)) !== undefined) throw keyIsDeletedButRecoverable(name);
  if ((await store.keys.getKeyVersion(name)) !== undefined) {
    throw new StrongroomError('Conflict', `A key with the name '${name}' already exists in this key vault; a backup is restored only under a name that is free.`);
  }
}
