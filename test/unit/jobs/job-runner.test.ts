/**
 * The job runner: a job runs once per cluster. Two nodes (two stores on one SQLite file, as two processes have,
 * and two stores on one PostgreSQL database, as two nodes of a cluster have) tick at the same moment and exactly
 * one runs the job; the schedule is kept in the store; a failed run is recorded and the job runs again when due;
 * a node that died holding the lease frees it when the lease expires, and a running job keeps its lease.
 * A controlled clock; no sleeps but the renewal's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testPostgres, type TestPostgres } from '../../../harness/postgres.ts';
import type { Job } from '../../../src/jobs/job.ts';
import { JobRunner } from '../../../src/jobs/job-runner.ts';
import { PostgresStore } from '../../../src/storage/postgres/postgres-store.ts';
import { SqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import type { Store } from '../../../src/storage/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'strongroom-jobs-'));
let postgres: TestPostgres;
before(async () => {
  postgres = await testPostgres();
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await postgres?.close();
});

const backends: Record<string, (name: string) => Promise<readonly [Store, Store]>> = {
  sqlite: async (name) => {
    const first = new SqliteStore(join(dir, `${name}.db`));
    first.migrate();
    return [first, new SqliteStore(join(dir, `${name}.db`))];
  },
  postgres: async () => {
    const { url } = await postgres.createDatabase();
    const first = new PostgresStore({ url, listen: false });
    await first.migrate();
    return [first, new PostgresStore({ url, listen: false })];
  },
};

function countingJob(runs: string[], behaviour: () => Promise<void> = async () => {}): Job & { runs: string[] } {
  return {
    name: 'counting',
    intervalSeconds: 60,
    leaseSeconds: 300,
    runs,
    run: async (context) => {
      runs.push(context.caller.id);
      await behaviour();
      return JSON.stringify({ runs: runs.length });
    },
  };
}

for (const [backend, twoNodes] of Object.entries(backends)) {
describe(`on ${backend}`, () => {
  test('two nodes ticking at once: the job runs once, as the system caller, and again when it is next due', async () => {
    const [a, b] = await twoNodes('once');
    const clock = { now: 1000 };
    const runs: string[] = [];
    const job = countingJob(runs);
    const nodeA = new JobRunner({ store: a, jobs: [job], clock: () => clock.now, holder: 'a' });
    const nodeB = new JobRunner({ store: b, jobs: [job], clock: () => clock.now, holder: 'b' });
    const [ranA, ranB] = await Promise.all([nodeA.tick(), nodeB.tick()]);
    assert.equal(ranA.length + ranB.length, 1);
    assert.deepEqual(runs, ['system:counting']);
    const record = await b.reader.jobs.getJob('counting');
    assert.equal(record?.nextRun, 1060);
    assert.equal(record?.lastOutcome, 'succeeded');
    assert.equal(record?.state, '{"runs":1}');
    assert.equal(record?.holder, undefined, 'the lease was given up');

    clock.now += 59;
    assert.deepEqual([...(await nodeA.tick()), ...(await nodeB.tick())], [], 'not due yet');
    clock.now += 1;
    await Promise.all([nodeA.tick(), nodeB.tick()]);
    assert.equal(runs.length, 2);
    await Promise.all([a.close(), b.close()]);
  });

  test('a failed run is recorded with its reason and retried when due', async () => {
    const [a] = await twoNodes('failing');
    const clock = { now: 5000 };
    const runs: string[] = [];
    let fail = true;
    const failures: string[] = [];
    const runner = new JobRunner({
      store: a,
      jobs: [countingJob(runs, async () => { if (fail) throw new Error('disk full\nsecond line'); })],
      clock: () => clock.now,
      onFailure: (name) => failures.push(name),
    });
    await runner.tick();
    const failed = await a.reader.jobs.getJob('counting');
    assert.equal(failed?.lastOutcome, 'failed');
    assert.equal(failed?.lastError, 'Error: disk full');
    assert.deepEqual(failures, ['counting']);
    fail = false;
    clock.now += 60;
    await runner.tick();
    assert.equal((await a.reader.jobs.getJob('counting'))?.lastOutcome, 'succeeded');
    assert.equal(runs.length, 2);
    await a.close();
  });

  test('a node that dies holding the lease blocks the job only until the lease expires', async () => {
    const [a, b] = await twoNodes('dead');
    const clock = { now: 100 };
    // Node "dead" took the lease and never recorded its run.
    assert.equal(await a.transaction((unit) => unit.jobs.tryAcquireLease('counting', 'dead', 100, 400)), true);
    const runs: string[] = [];
    const survivor = new JobRunner({ store: b, jobs: [countingJob(runs)], clock: () => clock.now, holder: 'survivor' });
    assert.deepEqual(await survivor.tick(), []);
    clock.now = 400;
    assert.deepEqual(await survivor.tick(), ['counting']);
    await Promise.all([a.close(), b.close()]);
  });

  test('ticks do not overlap: a slow run is not started twice by the next tick', async () => {
    const [a] = await twoNodes('slow');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const runs: string[] = [];
    const runner = new JobRunner({ store: a, jobs: [countingJob(runs, () => gate)], clock: () => 0 });
    const first = runner.tick();
    const second = runner.tick();
    release();
    await Promise.all([first, second]);
    assert.equal(runs.length, 1);
    await a.close();
  });

  test('a running job renews its lease, so another node does not start it while it runs', async () => {
    const [a, b] = await twoNodes('renewing');
    const clock = { now: 100 };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const runs: string[] = [];
    const job = { ...countingJob(runs, () => gate), leaseSeconds: 10 };
    const slow = new JobRunner({ store: a, jobs: [job], clock: () => clock.now, holder: 'slow', renewEveryMs: () => 20 });
    // The other node's copy of the job does not wait: were the lease not renewed, it would run (and be counted).
    const other = new JobRunner({ store: b, jobs: [{ ...countingJob(runs), leaseSeconds: 10 }], clock: () => clock.now, holder: 'other' });
    const running = slow.tick();
    await new Promise((resolve) => setTimeout(resolve, 30));
    clock.now = 105; // the lease taken at 100 would end at 110; a renewal at 105 moves it to 115
    await new Promise((resolve) => setTimeout(resolve, 60));
    clock.now = 112;
    assert.deepEqual(await other.tick(), [], 'the renewed lease still holds');
    release();
    await running;
    assert.equal(runs.length, 1);
    await Promise.all([a.close(), b.close()]);
  });
});
}
