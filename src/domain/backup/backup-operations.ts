/**
 * Full backup, full restore and selective key restore (reference §5.3) as operations of the kernel. Each start
 * validates its request, records the job under the one-at-a-time lease (backup-jobs.ts) in its unit of work,
 * and once that has committed hands the work to the node's BackupRunner; the status operations read the job.
 */
import { badParameter } from '../../errors/errors.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import type { BackupLocation } from '../../backup/backup-target.ts';
import { readOperation, writeOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { keyScope } from '../keys/key-scope.ts';
import { newJobId, readBackupJob, startBackupJob, type BackupJob, type BackupJobKind } from './backup-jobs.ts';

const HSM_SCOPE = '/';

/** SASTokenParameter as the SDK sends it. */
export interface SasTokenParameter {
  storageResourceUri?: unknown;
  token?: unknown;
  useManagedIdentity?: unknown;
}

export interface RestoreRequest {
  sasTokenParameters?: SasTokenParameter | undefined;
  folderToRestore?: unknown;
}

export interface SelectiveRestoreRequest {
  sasTokenParameters?: SasTokenParameter | undefined;
  folder?: unknown;
}

/** A folder name a backup made: one path segment, nothing that walks out of the container. */
const FOLDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** fullBackup, and preFullBackup (the same request; it checks the target is writable and backs nothing up). */
function backupStart(name: 'fullBackup' | 'preFullBackup') {
  const preCheck = name === 'preFullBackup';
  return writeOperation<{ request: SasTokenParameter | undefined }, BackupJob>({
    name,
    dataAction: DataActions.startBackup,
    scope: () => HSM_SCOPE,
    audit: (_input, output) => ({ jobId: output?.jobId }),
    async run({ input, now, env }, unit) {
      const location = locationOf(input.request);
      const jobId = newJobId();
      const stamp = new Date(now * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      const folderName = `strongroom-backup-${stamp}-${jobId.slice(0, 8)}`;
      const job = newJob(jobId, preCheck ? 'prebackup' : 'backup', now, preCheck ? undefined : folderUriIn(location, folderName));
      await startBackupJob(unit, job, now);
      unit.afterCommit(() => (preCheck ? env.backups.preBackup(job, location) : env.backups.backup(job, location, folderName)));
      return job;
    },
  });
}

export const startFullBackup = backupStart('fullBackup');
export const startPreFullBackup = backupStart('preFullBackup');

export const getFullBackupStatus = readOperation<{ jobId: string }, BackupJob>({
  name: 'fullBackupStatus',
  dataAction: DataActions.readBackupStatus,
  scope: () => HSM_SCOPE,
  audit: (input) => ({ jobId: input.jobId }),
  run: ({ input, now }, store) => jobOfKinds(store, input.jobId, now, ['backup', 'prebackup']),
});

/** fullRestoreOperation, and preFullRestoreOperation (it opens the folder's manifest and restores nothing). */
function restoreStart(name: 'fullRestoreOperation' | 'preFullRestoreOperation') {
  const preCheck = name === 'preFullRestoreOperation';
  return writeOperation<{ request: RestoreRequest | undefined }, BackupJob>({
    name,
    dataAction: DataActions.startRestore,
    scope: () => HSM_SCOPE,
    audit: (_input, output) => ({ jobId: output?.jobId }),
    async run({ input, now, env }, unit) {
      const location = locationOf(input.request?.sasTokenParameters);
      const folderName = folderNameOf(input.request?.folderToRestore, 'folderToRestore');
      const job = newJob(newJobId(), preCheck ? 'prerestore' : 'restore', now, folderUriIn(location, folderName));
      await startBackupJob(unit, job, now);
      unit.afterCommit(() => (preCheck ? env.backups.preRestore(job, location, folderName) : env.backups.restore(job, location, folderName)));
      return job;
    },
  });
}

export const startFullRestore = restoreStart('fullRestoreOperation');
export const startPreFullRestore = restoreStart('preFullRestoreOperation');

export const startSelectiveKeyRestore = writeOperation<{ name: string; request: SelectiveRestoreRequest | undefined }, BackupJob>({
  name: 'selectiveKeyRestoreOperation',
  dataAction: DataActions.restoreKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => ({ key: input.name, jobId: output?.jobId }),
  async run({ input, now, env }, unit) {
    const location = locationOf(input.request?.sasTokenParameters);
    const folderName = folderNameOf(input.request?.folder, 'folder');
    const job = newJob(newJobId(), 'selectiveKeyRestore', now, folderUriIn(location, folderName));
    await startBackupJob(unit, job, now);
    unit.afterCommit(() => env.backups.restore(job, location, folderName, input.name));
    return job;
  },
});

export const getRestoreStatus = readOperation<{ jobId: string }, BackupJob>({
  name: 'restoreStatus',
  dataAction: DataActions.readRestoreStatus,
  scope: () => HSM_SCOPE,
  audit: (input) => ({ jobId: input.jobId }),
  run: ({ input, now }, store) => jobOfKinds(store, input.jobId, now, ['restore', 'prerestore', 'selectiveKeyRestore']),
});

/** The folder's URI as the client names it: the container (or directory) URL and the folder name. */
function folderUriIn(location: BackupLocation, folderName: string): string {
  return `${location.storageResourceUri.replace(/\/+$/, '')}/${folderName}`;
}

function newJob(jobId: string, kind: BackupJobKind, now: number, folderUri: string | undefined): BackupJob {
  const details = {
    backup: 'Full backup is in progress.',
    prebackup: 'Checking the backup target.',
    restore: 'Full restore is in progress.',
    prerestore: 'Checking the backup folder.',
    selectiveKeyRestore: 'Selective key restore is in progress.',
  }[kind];
  return { jobId, kind, status: 'InProgress', statusDetails: details, startTime: now, folderUri };
}

function locationOf(parameters: SasTokenParameter | undefined): BackupLocation {
  const uri = parameters?.storageResourceUri;
  if (typeof uri !== 'string' || uri === '') throw badParameter('storageResourceUri (the URL of a blob container, or a file:/// folder) is required');
  const token = parameters?.token;
  if (token !== undefined && token !== null && typeof token !== 'string') throw badParameter('token must be a SAS token string');
  if (parameters?.useManagedIdentity === true && (token === undefined || token === null) && !uri.startsWith('file:')) {
    throw badParameter('Strongroom has no managed identity for Azure Storage: give a SAS token for the container (token), or a file:/// folder.');
  }
  return { storageResourceUri: uri, token: typeof token === 'string' && token !== '' ? token : undefined };
}

function folderNameOf(value: unknown, member: string): string {
  if (typeof value !== 'string' || !FOLDER_NAME.test(value)) throw badParameter(`${member} (the name of the backup folder in the container) is required`);
  return value;
}

async function jobOfKinds(store: Parameters<typeof readBackupJob>[0], jobId: string, now: number, kinds: BackupJobKind[]): Promise<BackupJob> {
  const job = await readBackupJob(store, jobId, now);
  if (job === undefined || !kinds.includes(job.kind)) throw new StrongroomError('NotFound', `No operation with job id ${jobId} exists.`);
  return job;
}
