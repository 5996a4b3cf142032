/**
 * The secrets of a full backup (backup-runner.ts): one sealed object per secret (every version, soft-deleted
 * secrets too, `secrets/NNNNNNN.secret`), listed in the manifest's `secrets`; a full restore puts back every
 * secret whose name is free here. A selective key restore restores a key only, never a secret. A manifest of an
 * earlier release has no `secrets` and restores none.
 */
import type { BackupFolder } from '../../backup/backup-target.ts';
import type { RootOfTrust } from '../../keystore/root-of-trust.ts';
import type { Store } from '../../storage/store.ts';
import { secretBackupDocument, SecretBackupDocumentError, secretFromBackup } from '../secrets/secret-backup-document.ts';

const PAGE = 200;

export interface SecretManifestEntry {
  name: string;
  object: string;
  deleted: boolean;
}

/** Writes every secret, active then deleted, through `seal` (the backup envelope bound to the object's name). */
export async function writeSecretObjects(
  store: Store,
  folder: BackupFolder,
  valueRoot: RootOfTrust,
  seal: (object: string, document: Buffer) => Buffer,
): Promise<SecretManifestEntry[]> {
  const entries: SecretManifestEntry[] = [];
  for (const deleted of [false, true]) {
    let after: string | undefined;
    do {
      const page = deleted ? await store.reader.secrets.listDeletedSecrets({ limit: PAGE, after }) : await store.reader.secrets.listSecrets({ limit: PAGE, after });
      for (const item of page.items) {
        const secret = await store.reader.secrets.getSecretWithVersions(item.name);
        if (secret === undefined || (secret.deletion !== undefined) !== deleted) continue; // changed since the page was read
        const object = `secrets/${String(entries.length + 1).padStart(7, '0')}.secret`;
        const document = secretBackupDocument(secret, valueRoot);
        try {
          await folder.write(object, seal(object, document));
        } finally {
          document.fill(0);
        }
        entries.push({ name: secret.name, object, deleted });
      }
      after = page.next;
    } while (after !== undefined);
  }
  return entries;
}

/** Restores one secret object; true when restored, false when the name is in use here (active or deleted). */
export async function restoreSecretObject(store: Store, plaintext: Buffer, entry: SecretManifestEntry, valueRoot: RootOfTrust): Promise<boolean> {
  let secret;
  try {
    secret = secretFromBackup(plaintext, valueRoot);
  } catch (error) {
    if (error instanceof SecretBackupDocumentError) throw new SecretObjectError(`The backup object ${entry.object} is corrupt.`);
    throw error;
  }
  if (secret.name.toLowerCase() !== entry.name.toLowerCase()) throw new SecretObjectError(`The backup object ${entry.object} does not hold the secret its manifest names.`);
  return store.transaction(async (unit) => {
    if ((await unit.secrets.getSecretWithVersions(secret.name)) !== undefined) return false;
    for (const version of secret.versions) await unit.secrets.addSecretVersion(version);
    if (secret.deletion !== undefined) await unit.secrets.deleteSecret(secret.name, secret.deletion);
    return true;
  });
}

/** A backup object that cannot be restored; the runner reports it as the job's failure. */
export class SecretObjectError extends Error {}
