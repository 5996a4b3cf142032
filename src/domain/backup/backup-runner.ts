/**
 * The work of full backup and restore, run in the background on the node that accepted the request (the
 * operation that started it has authorized it, recorded the job and taken the one-at-a-time lease):
 *
 *   backup     a new folder at the target with one sealed object per key and per secret (every version,
 *              soft-deleted ones too; backup-secrets.ts) and a sealed manifest naming them; written object by
 *              object, the manifest last, so a folder without a manifest is an unfinished backup and no restore
 *              accepts it
 *   restore    every key and secret of a folder's manifest whose name is free here; a name in use is left as it
 *              is and counted in the status
 *   selective  one key of a folder
 *   pre-checks prebackup writes a marker object to prove the target is writable; prerestore opens the manifest
 *
 * Every object is sealed under the domain's backup root (custody/backup-blob.ts) and bound to its name, so a
 * folder opens only in an instance of the same security domain, and a swapped or altered object is refused.
 * Failures end the job as Failed with a message safe to show (never a SAS token, never key material).
 */
import { BackupBlobError, openBackup, sealBackup } from '../../custody/backup-blob.ts';
import type { Custody } from '../../custody/custody.ts';
import { BackupTargetError, createBackupFolder, openBackupFolder, type BackupFolder, type BackupLocation } from '../../backup/backup-target.ts';
import type { Keystore } from '../../keystore/keystore.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { Store } from '../../storage/store.ts';
import { keyBackupDocument, KeyBackupDocumentError, versionsFromBackup } from '../keys/key-backup-document.ts';
import { BackupJobProgress, type BackupJob } from './backup-jobs.ts';
import { restoreSecretObject, SecretObjectError, writeSecretObjects, type SecretManifestEntry } from './backup-secrets.ts';

const MANIFEST = 'manifest.sealed';
const MANIFEST_FORMAT = 'strongroom.full-backup/1';
const PAGE = 200;
const REPORT_EVERY = 50;

interface Manifest {
  format: typeof MANIFEST_FORMAT;
  domainId: string;
  jobId: string;
  created: IntDate;
  keys: Array<{ name: string; object: string; deleted: boolean }>;
  /** Absent in the manifests of releases before secrets. */
  secrets?: SecretManifestEntry[] | undefined;
}

/** A failure the job reports as it is (its message is for the client). */
class JobFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface BackupRunnerOptions {
  store: Store;
  custody: Custody;
  keystore: Keystore;
  clock: () => IntDate;
  onError?: (error: unknown) => void;
}

export class BackupRunner {
  readonly #options: BackupRunnerOptions;
  readonly #running = new Set<Promise<void>>();

  constructor(options: BackupRunnerOptions) {
    this.#options = options;
  }

  backup(job: BackupJob, location: BackupLocation, folderName: string): void {
    this.#run(job, async (progress) => {
      const folder = await createBackupFolder(location, folderName);
      const count = await this.#writeBackup(folder, job.jobId, progress);
      return `Full backup finished: ${count.active} keys and ${count.deleted} deleted keys, and ${count.secrets} secrets, backed up to ${folder.uri}.`;
    });
  }

  preBackup(job: BackupJob, location: BackupLocation): void {
    this.#run(job, async () => {
      const folder = await createBackupFolder(location, `strongroom-prebackup-${job.jobId}`);
      await folder.write('writable', Buffer.from('Strongroom checked that it can write here before a backup.\n'));
      return 'The backup target is writable.';
    });
  }

  restore(job: BackupJob, location: BackupLocation, folderName: string, onlyKey?: string): void {
    this.#run(job, async (progress) => {
      const folder = await openBackupFolder(location, folderName);
      const manifest = await this.#readManifest(folder);
      const entries = onlyKey === undefined ? manifest.keys : manifest.keys.filter((entry) => entry.name.toLowerCase() === onlyKey.toLowerCase());
      if (onlyKey !== undefined && entries.length === 0) throw new JobFailure('KeyNotFound', `The backup ${folder.uri} holds no key named ${onlyKey}.`);
      let restored = 0;
      const skipped: string[] = [];
      for (const entry of entries) {
        if (await this.#restoreKey(folder, entry.object, entry.name)) restored++;
        else skipped.push(entry.name);
        if ((restored + skipped.length) % REPORT_EVERY === 0) await progress.report(`Restored ${restored} of ${entries.length} keys.`);
      }
      if (onlyKey !== undefined && skipped.length > 0) {
        throw new JobFailure('Conflict', `A key named ${onlyKey} exists in this instance (active or deleted); delete and purge it before restoring it.`);
      }
      const secrets = onlyKey === undefined ? await this.#restoreSecrets(folder, manifest.secrets ?? []) : '';
      return secrets + (skipped.length === 0
        ? `Restore finished: ${restored} keys restored.`
        : `Restore finished: ${restored} keys restored; ${skipped.length} left as they are because their names exist here (${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''}).`);
    });
  }

  preRestore(job: BackupJob, location: BackupLocation, folderName: string): void {
    this.#run(job, async () => {
      const manifest = await this.#readManifest(await openBackupFolder(location, folderName));
      return `The backup can be restored: it holds ${manifest.keys.length} keys of this security domain.`;
    });
  }

  /** Resolves when every job this runner started has finished (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #run(job: BackupJob, work: (progress: BackupJobProgress) => Promise<string>): void {
    const progress = new BackupJobProgress(this.#options.store, job, this.#options.clock);
    const running = work(progress)
      .then(
        (statusDetails) => progress.finish({ status: 'Succeeded', statusDetails }),
        (error: unknown) => {
          const failure = failureOf(error);
          if (failure === undefined) this.#options.onError?.(error);
          const { code, message } = failure ?? { code: 'InternalServerError', message: 'The operation failed; the server log has the details.' };
          return progress.finish({ status: 'Failed', statusDetails: message, error: { code, message } });
        },
      )
      .catch((error: unknown) => this.#options.onError?.(error))
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  /** The secrets of a full restore; a sentence for the status when there were any. */
  async #restoreSecrets(folder: BackupFolder, entries: readonly SecretManifestEntry[]): Promise<string> {
    const { store, custody } = this.#options;
    let restored = 0;
    for (const entry of entries) {
      const plaintext = this.#open(await folder.read(entry.object), entry.object);
      try {
        if (await restoreSecretObject(store, plaintext, entry, custody.roots.keyMaterial)) restored++;
      } catch (error) {
        if (error instanceof SecretObjectError) throw new JobFailure('BadParameter', error.message);
        throw error;
      } finally {
        plaintext.fill(0);
      }
    }
    return entries.length === 0 ? '' : `Secrets: ${restored} of ${entries.length} restored (the others' names exist here). `;
  }

  async #writeBackup(folder: BackupFolder, jobId: string, progress: BackupJobProgress): Promise<{ active: number; deleted: number; secrets: number }> {
    const { store, custody, keystore, clock } = this.#options;
    const root = custody.roots.backup;
    const domainId = custody.domain.id;
    const manifest: Manifest = { format: MANIFEST_FORMAT, domainId, jobId, created: clock(), keys: [] };
    for (const deleted of [false, true]) {
      let after: string | undefined;
      do {
        const page = deleted ? await store.reader.keys.listDeletedKeys({ limit: PAGE, after }) : await store.reader.keys.listKeys({ limit: PAGE, after });
        for (const item of page.items) {
          const key = await store.reader.keys.getKeyWithVersions(item.name);
          if (key === undefined || (key.deletion !== undefined) !== deleted) continue; // changed since the page was read
          const object = `keys/${String(manifest.keys.length + 1).padStart(7, '0')}.key`;
          const document = keyBackupDocument(key.name, key.versions, keystore, key.deletion);
          try {
            await folder.write(object, sealBackup(root, domainId, 'fullBackupObject', object, document));
          } finally {
            document.fill(0);
          }
          manifest.keys.push({ name: key.name, object, deleted });
          if (manifest.keys.length % REPORT_EVERY === 0) await progress.report(`Backed up ${manifest.keys.length} keys.`);
        }
        after = page.next;
      } while (after !== undefined);
    }
    manifest.secrets = await writeSecretObjects(store, folder, custody.roots.keyMaterial, (object, document) => sealBackup(root, domainId, 'fullBackupObject', object, document));
    await folder.write(MANIFEST, sealBackup(root, domainId, 'fullBackupObject', MANIFEST, Buffer.from(JSON.stringify(manifest))));
    const deletedCount = manifest.keys.filter((entry) => entry.deleted).length;
    return { active: manifest.keys.length - deletedCount, deleted: deletedCount, secrets: manifest.secrets.length };
  }

  async #readManifest(folder: BackupFolder): Promise<Manifest> {
    const sealed = await folder.read(MANIFEST).catch((error: unknown) => {
      if (error instanceof BackupTargetError && error.kind === 'not-found') {
        throw new JobFailure('BadParameter', `${folder.uri} is not a finished Strongroom backup (it has no manifest).`);
      }
      throw error;
    });
    const manifest = JSON.parse(this.#open(sealed, MANIFEST).toString('utf8')) as Manifest;
    if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.keys)) throw new JobFailure('BadParameter', `${folder.uri} holds a manifest this release does not read.`);
    return manifest;
  }

  /** True when restored; false when the name is in use here. */
  async #restoreKey(folder: BackupFolder, object: string, name: string): Promise<boolean> {
    const { store, keystore } = this.#options;
    const plaintext = this.#open(await folder.read(object), object);
    let key;
    try {
      key = versionsFromBackup(plaintext, keystore);
    } catch (error) {
      if (error instanceof KeyBackupDocumentError) throw new JobFailure('BadParameter', `The backup object ${object} is corrupt.`);
      throw error;
    } finally {
      plaintext.fill(0);
    }
    if (key.name.toLowerCase() !== name.toLowerCase()) throw new JobFailure('BadParameter', `The backup object ${object} does not hold the key its manifest names.`);
    return store.transaction(async (unit) => {
      if ((await unit.keys.getKeyWithVersions(key.name)) !== undefined) return false;
      for (const version of key.versions) await unit.keys.addKeyVersion(version);
      if (key.deletion !== undefined) await unit.keys.deleteKey(key.name, key.deletion);
      return true;
    });
  }

  #open(sealed: Buffer, name: string): Buffer {
    const { custody } = this.#options;
    try {
      return openBackup(custody.roots.backup, custody.domain.id, 'fullBackupObject', name, sealed);
    } catch (error) {
      if (error instanceof BackupBlobError && error.problem === 'another-domain') {
        throw new JobFailure('BadParameter', `The backup belongs to another security domain (${error.domainId?.slice(0, 8)}); it can be restored only into an instance of that domain.`);
      }
      if (error instanceof BackupBlobError) throw new JobFailure('BadParameter', `The backup object ${name} is corrupt or was tampered with.`);
      throw error;
    }
  }
}

function failureOf(error: unknown): { code: string; message: string } | undefined {
  if (error instanceof JobFailure) return { code: error.code, message: error.message };
  if (error instanceof BackupTargetError) {
    const code = { 'invalid-location': 'BadParameter', 'not-found': 'NotFound', 'access-denied': 'Forbidden', unavailable: 'ServiceUnavailable' }[error.kind];
    return { code, message: error.message };
  }
  return undefined;
}
