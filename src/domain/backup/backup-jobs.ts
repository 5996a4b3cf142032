/**
 * The long-running backup and restore operations (reference §5.3), as records every node of a cluster reads:
 *
 * - One at a time, per instance: a job takes the `backup-restore` lease of the jobs table (the same lease the
 *   scheduled jobs use, so the rule holds across nodes on both backends) for as long as it runs, renewing it
 *   as it reports progress. A second start while one runs is 409 Conflict.
 * - Its status (`InProgress`, `Succeeded`, `Failed`, details, error) is a setting `lro/<jobId>`, written at the
 *   start, at each progress report and at the end.
 * - A node that dies mid-job stops renewing: its lease expires, a status read then says Failed, and the next
 *   job may start.
 */
import { randomBytes } from 'node:crypto';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { Readers, Store, UnitOfWork } from '../../storage/store.ts';

export type BackupJobKind = 'backup' | 'prebackup' | 'restore' | 'prerestore' | 'selectiveKeyRestore';
export type BackupJobStatus = 'InProgress' | 'Succeeded' | 'Failed';

export interface BackupJob {
  jobId: string;
  kind: BackupJobKind;
  status: BackupJobStatus;
  statusDetails: string;
  error?: { code: string; message: string } | undefined;
  startTime: IntDate;
  endTime?: IntDate | undefined;
  /** The backup folder (backup) or the folder restored from (restores). */
  folderUri?: string | undefined;
}

const LANE = 'backup-restore';
/** How long a job's lease lasts without a progress report; the runner reports well within it. */
export const BACKUP_LEASE_SECONDS = 60;

const settingOf = (jobId: string) => `lro/${jobId}`;

export function newJobId(): string {
  return randomBytes(16).toString('hex');
}

/** Records a new job and takes the lease; 409 when another backup or restore holds it. */
export async function startBackupJob(unit: UnitOfWork, job: BackupJob, now: IntDate): Promise<void> {
  if (!(await unit.jobs.tryAcquireLease(LANE, job.jobId, now, now + BACKUP_LEASE_SECONDS))) {
    throw new StrongroomError('Conflict', 'A backup or restore operation is already in progress on this instance; one runs at a time. Retry when it has finished.');
  }
  await unit.settings.putSetting(settingOf(job.jobId), JSON.stringify(job));
}

/** A job as its status endpoint reports it: one whose node stopped renewing its lease has failed. */
export async function readBackupJob(store: Readers, jobId: string, now: IntDate): Promise<BackupJob | undefined> {
  if (!/^[0-9a-f]{32}$/.test(jobId)) return undefined;
  // The lease first, then the job: a job that finishes between the two reads is then read finished. In the other
  // order its last InProgress record and its released lease would read as a node that died.
  const lease = await store.jobs.getJob(LANE);
  const raw = await store.settings.getSetting(settingOf(jobId));
  if (raw === undefined) return undefined;
  const job = JSON.parse(raw) as BackupJob;
  if (job.status !== 'InProgress') return job;
  const alive = lease?.holder === jobId && (lease.leaseExpires ?? 0) > now;
  return alive
    ? job
    : { ...job, status: 'Failed', endTime: lease?.leaseExpires ?? now, error: { code: 'InternalServerError', message: 'The node running the operation stopped before it finished; start it again.' } };
}

/** What a running job reports through: progress renews the lease; the end records it and gives the lease up. */
export class BackupJobProgress {
  readonly #store: Store;
  readonly #clock: () => IntDate;
  #job: BackupJob;

  constructor(store: Store, job: BackupJob, clock: () => IntDate) {
    this.#store = store;
    this.#job = job;
    this.#clock = clock;
  }

  get job(): BackupJob {
    return this.#job;
  }

  async report(statusDetails: string): Promise<void> {
    const now = this.#clock();
    this.#job = { ...this.#job, statusDetails };
    await this.#store.transaction(async (unit) => {
      await unit.jobs.tryAcquireLease(LANE, this.#job.jobId, now, now + BACKUP_LEASE_SECONDS);
      await unit.settings.putSetting(settingOf(this.#job.jobId), JSON.stringify(this.#job));
    });
  }

  async finish(outcome: { status: 'Succeeded'; statusDetails: string } | { status: 'Failed'; statusDetails: string; error: { code: string; message: string } }): Promise<void> {
    const now = this.#clock();
    this.#job = { ...this.#job, ...outcome, endTime: now };
    await this.#store.transaction(async (unit) => {
      await unit.settings.putSetting(settingOf(this.#job.jobId), JSON.stringify(this.#job));
      await unit.jobs.recordRun(LANE, this.#job.jobId, {
        started: this.#job.startTime,
        finished: now,
        outcome: outcome.status === 'Succeeded' ? 'succeeded' : 'failed',
        error: outcome.status === 'Failed' ? outcome.error.message : undefined,
        nextRun: now,
      });
    });
  }
}
