/**
 * The one-at-a-time rule of backup and restore jobs and what happens when the node running one dies: a second
 * start is refused while the first renews its lease; once it stops renewing (its node died) a status read says
 * Failed and a new job may start; a finished job gives the lease up at once. On every backend.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BACKUP_LEASE_SECONDS, BackupJobProgress, newJobId, readBackupJob, startBackupJob, type BackupJob } from '../../../src/domain/backup/backup-jobs.ts';
import { MemoryStore } from '../../../src/storage/memory/memory-store.ts';
import { SqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import type { Store } from '../../../src/storage/store.ts';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const backends: Record<string, () => Store> = {
  memory: () => new MemoryStore(),
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-jobs-'));
    dirs.push(dir);
    const store = new SqliteStore(join(dir, 'strongroom.db'));
    store.migrate();
    return store;
  },
};

const job = (now: number): BackupJob => ({ jobId: newJobId(), kind: 'backup', status: 'InProgress', statusDetails: 'Full backup is in progress.', startTime: now });

for (const [backend, open] of Object.entries(backends)) {
  describe(`backup jobs on ${backend}`, () => {
    test('a job that finishes while its status is read is never reported as a node that died', async () => {
      const store = open();
      const clock = { now: 1_000 };
      const running = job(clock.now);
      await store.transaction((unit) => startBackupJob(unit, running, clock.now));
      const progress = new BackupJobProgress(store, running, () => clock.now);
      // The job ends (its record and its lease's release commit together) just after the status read has read
      // one of the two: the read must not combine an InProgress record with a released lease.
      const racing = {
        ...store.reader,
        settings: {
          ...store.reader.settings,
          getSetting: async (name: string) => {
            const value = await store.reader.settings.getSetting(name);
            await progress.finish({ status: 'Failed', statusDetails: 'failed', error: { code: 'BadParameter', message: 'the folder holds no key named nobody' } });
            return value;
          },
        },
        jobs: {
          ...store.reader.jobs,
          getJob: async (name: string) => {
            const lease = await store.reader.jobs.getJob(name);
            await progress.finish({ status: 'Failed', statusDetails: 'failed', error: { code: 'BadParameter', message: 'the folder holds no key named nobody' } });
            return lease;
          },
        },
      };
      const read = await readBackupJob(racing, running.jobId, clock.now);
      assert.notEqual(read?.error?.message, 'The node running the operation stopped before it finished; start it again.');
    });

    test('a second job while one runs is 409; a finished one frees the lane at once', async () => {
      const store = open();
      const clock = { now: 1_000 };
      const first = job(clock.now);
      await store.transaction((unit) => startBackupJob(unit, first, clock.now));
      await assert.rejects(store.transaction((unit) => startBackupJob(unit, job(clock.now), clock.now)), { code: 'Conflict' });
      const progress = new BackupJobProgress(store, first, () => clock.now);
      clock.now += BACKUP_LEASE_SECONDS - 1;
      await progress.report('Backed up 50 keys.');
      clock.now += BACKUP_LEASE_SECONDS - 1;
      assert.equal((await readBackupJob(store.reader, first.jobId, clock.now))?.status, 'InProgress', 'renewed by its report');
      await assert.rejects(store.transaction((unit) => startBackupJob(unit, job(clock.now), clock.now)), { code: 'Conflict' });
      await progress.finish({ status: 'Succeeded', statusDetails: 'done' });
      const finished = await readBackupJob(store.reader, first.jobId, clock.now);
      assert.equal(finished?.status, 'Succeeded');
      assert.equal(finished?.endTime, clock.now);
      await store.transaction((unit) => startBackupJob(unit, job(clock.now), clock.now));
      await store.close();
    });

    test('a job whose node stopped renewing reads as Failed, and the next one may start', async () => {
      const store = open();
      const clock = { now: 5_000 };
      const stuck = job(clock.now);
      await store.transaction((unit) => startBackupJob(unit, stuck, clock.now));
      clock.now += BACKUP_LEASE_SECONDS + 1;
      const read = await readBackupJob(store.reader, stuck.jobId, clock.now);
      assert.equal(read?.status, 'Failed');
      assert.match(read?.error?.message ?? '', /node running the operation stopped/);
      const next = job(clock.now);
      await store.transaction((unit) => startBackupJob(unit, next, clock.now));
      assert.equal((await readBackupJob(store.reader, next.jobId, clock.now))?.status, 'InProgress');
      assert.equal((await readBackupJob(store.reader, stuck.jobId, clock.now))?.status, 'Failed', 'the dead one stays failed');
      assert.equal(await readBackupJob(store.reader, 'not-a-job-id', clock.now), undefined);
      await store.close();
    });
  });
}
