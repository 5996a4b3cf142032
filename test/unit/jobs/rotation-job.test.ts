/**
 * The rotation scheduler through the kernel, on two "nodes" (two stores on one SQLite file, two stores on one
 * PostgreSQL database) and on the memory store: due keys rotated once, a key overdue by many periods rotated once
 * (catch-up), nothing before its time, nodes and runners racing never rotating twice, Notify once per version with
 * its audit record and its CloudEvent delivered to a webhook (a real node:http receiver) with a 500 retried at a
 * later run. The clock is the test's; nothing sleeps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testPostgres, type TestPostgres } from '../../../harness/postgres.ts';
import { createKeyEvents } from '../../../src/domain/events/key-events.ts';
import { OPERATIONS } from '../../../src/domain/kernel/catalogue.ts';
import { systemContext } from '../../../src/domain/kernel/context.ts';
import { JobRunner } from '../../../src/jobs/job-runner.ts';
import { rotationJob, runRotation } from '../../../src/jobs/rotation-job.ts';
import { MemoryStore } from '../../../src/storage/memory/memory-store.ts';
import { PostgresStore } from '../../../src/storage/postgres/postgres-store.ts';
import { SqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import type { Store } from '../../../src/storage/store.ts';
import { kernelFor } from '../../helpers/kernel.ts';

const DAY = 86_400;
const dir = mkdtempSync(join(tmpdir(), 'strongroom-rotation-'));
let postgres: TestPostgres | undefined;
const stores: Store[] = [];
before(async () => {
  postgres = await testPostgres();
});
after(async () => {
  for (const store of stores) await store.close();
  rmSync(dir, { recursive: true, force: true });
  await postgres?.close();
});

let counter = 0;
const backends: Record<string, () => Promise<readonly [Store, Store]>> = {
  memory: async () => {
    const store = new MemoryStore();
    return [store, store];
  },
  sqlite: async () => {
    const path = join(dir, `rotation-${++counter}.db`);
    const first = new SqliteStore(path);
    first.migrate();
    const pair = [first, new SqliteStore(path)] as const;
    stores.push(...pair);
    return pair;
  },
  postgres: async () => {
    if (postgres === undefined) throw new Error('no PostgreSQL');
    const { url } = await postgres.createDatabase();
    const first = new PostgresStore({ url, listen: false });
    await first.migrate();
    const pair = [first, new PostgresStore({ url, listen: false })] as const;
    stores.push(...pair);
    return pair;
  },
};

/** A webhook receiver: answers each POST with the next status of `statuses` (then 200), keeps what it got. */
async function webhook(statuses: number[] = []) {
  const received: Array<{ contentType: string | undefined; body: Record<string, unknown> }> = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    request.on('end', () => {
      received.push({ contentType: request.headers['content-type'], body: JSON.parse(text) as Record<string, unknown> });
      response.statusCode = statuses.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const [backend, twoNodes] of Object.entries(backends)) {
  describe(`rotation on ${backend}`, () => {
    async function setup(options: { webhookUrl?: string } = {}) {
      const [storeA, storeB] = await twoNodes();
      const events = createKeyEvents({ webhookUrl: options.webhookUrl });
      const a = kernelFor(storeA, { events });
      const b = kernelFor(storeB, { events });
      // One clock for both nodes: the test moves it.
      b.clock.now = a.clock.now;
      const clock = { get now() { return a.clock.now; }, set now(value: number) { a.clock.now = value; b.clock.now = value; } };
      const job = (kernel: typeof a) => runRotation(kernel.kernel, systemContext('key-rotation', () => clock.now));
      return { a, b, storeA, storeB, clock, job };
    }

    const create = async (k: ReturnType<typeof kernelFor>, name: string, request: Record<string, unknown> = { kty: 'EC-HSM' }) =>
      k.kernel.perform(k.admin, OPERATIONS.createKey, { name, request: request as never });
    const setPolicy = (k: ReturnType<typeof kernelFor>, name: string, policy: Record<string, unknown>) =>
      k.kernel.perform(k.admin, OPERATIONS.updateKeyRotationPolicy, { name, policy: policy as never, vaultUri: 'https://hsm1.managedhsm.localhost:8443' });
    const versions = async (store: Store, name: string) => (await store.reader.keys.listKeyVersions(name, { limit: 25 }))?.items ?? [];

    test('a due key is rotated once: like its latest version, exp from expiryTime; nothing before its time', async () => {
      const { a, storeA, clock, job } = await setup();
      const first = await create(a, 'Signer', { kty: 'EC-HSM', crv: 'P-384', key_ops: ['sign'], tags: { team: 'payments' } });
      await create(a, 'untouched');
      await setPolicy(a, 'signer', { lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } }], attributes: { expiryTime: 'P90D' } });
      clock.now += 30 * DAY - 1;
      assert.deepEqual((await job(a)).rotated, []);
      clock.now += 1;
      const report = await job(a);
      assert.equal(report.rotated.length, 1);
      assert.deepEqual(report.rotated[0]?.fromVersion, first.version);
      const latest = await storeA.reader.keys.getKeyVersion('signer');
      assert.equal(latest?.version, report.rotated[0]?.version);
      assert.equal(latest?.name, 'Signer');
      assert.deepEqual([latest?.family, latest?.curve, latest?.keyOps, latest?.tags], ['EC', 'P-384', ['sign'], { team: 'payments' }]);
      assert.equal(latest?.attributes.created, clock.now);
      assert.equal(latest?.attributes.exp, clock.now + 90 * DAY);
      assert.equal(latest?.origin, 'generated');
      assert.deepEqual((await job(a)).rotated, [], 'the same time again: nothing');
      assert.equal((await versions(storeA, 'untouched')).length, 1);
      // Audited as the system caller.
      const audited = a.audit.events.filter(({ event }) => event.operation === 'rotateKeyOnSchedule' && event.outcome === 'success');
      assert.equal(audited.length, 1);
      assert.equal(audited[0]?.event.caller.id, 'system:key-rotation');
      assert.equal(audited[0]?.inUnit, true);
    });

    test('catch-up: a key overdue by several periods is rotated once, and its next trigger counts from the new version', async () => {
      const { a, storeA, clock, job } = await setup();
      await create(a, 'late', { kty: 'RSA-HSM', key_size: 2048 });
      await setPolicy(a, 'late', { lifetimeActions: [{ trigger: { timeAfterCreate: 'P7D' }, action: { type: 'rotate' } }] });
      clock.now += 100 * DAY; // the scheduler was down for 14 periods
      assert.equal((await job(a)).rotated.length, 1);
      assert.equal((await job(a)).rotated.length, 0);
      assert.equal((await versions(storeA, 'late')).length, 2);
      const rotated = await storeA.reader.keys.getKeyVersion('late');
      assert.deepEqual([rotated?.family, rotated?.keySize, rotated?.attributes.exp], ['RSA', 2048, undefined]);
      clock.now += 7 * DAY;
      assert.equal((await job(a)).rotated.length, 1);
      assert.equal((await versions(storeA, 'late')).length, 3);
    });

    test('timeBeforeExpiry: rotated when the latest version nears its exp; deleted keys are left alone', async () => {
      const { a, storeA, clock, job } = await setup();
      await create(a, 'expiring', { kty: 'oct-HSM', key_size: 256, attributes: { exp: clock.now + 40 * DAY } });
      await create(a, 'gone');
      await setPolicy(a, 'expiring', { lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P10D' }, action: { type: 'Rotate' } }], attributes: { expiryTime: 'P60D' } });
      await setPolicy(a, 'gone', { lifetimeActions: [{ trigger: { timeAfterCreate: 'P7D' }, action: { type: 'Rotate' } }] });
      await a.kernel.perform(a.admin, OPERATIONS.deleteKey, { name: 'gone' });
      clock.now += 29 * DAY;
      assert.deepEqual((await job(a)).rotated, []);
      clock.now += 1 * DAY;
      const report = await job(a);
      assert.deepEqual(report.rotated.map((entry) => entry.name), ['expiring']);
      const latest = await storeA.reader.keys.getKeyVersion('expiring');
      assert.deepEqual([latest?.family, latest?.keySize, latest?.attributes.exp], ['oct', 256, clock.now + 60 * DAY]);
    });

    test('two nodes running the schedule at once (no lease) still rotate once; two runners: one takes the lease', async () => {
      const { a, b, storeA, storeB, clock, job } = await setup();
      await create(a, 'shared');
      await setPolicy(a, 'shared', { lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } }] });
      clock.now += 31 * DAY;
      const [left, right] = await Promise.all([job(a), job(b)]);
      assert.equal(left.rotated.length + right.rotated.length, 1);
      assert.equal(left.failures.length + right.failures.length, 0);
      assert.equal((await versions(storeA, 'shared')).length, 2);
      // Two runners (the lease) tick at once a period later: one runs, one rotation.
      clock.now += 31 * DAY;
      const runners = [new JobRunner({ store: storeA, jobs: [rotationJob(a.kernel)], clock: () => clock.now, holder: 'node-a' }),
        new JobRunner({ store: storeB, jobs: [rotationJob(b.kernel)], clock: () => clock.now, holder: 'node-b' })];
      const ran = await Promise.all(runners.map((runner) => runner.tick()));
      assert.equal(ran.flat().length, 1);
      assert.equal((await versions(storeB, 'shared')).length, 3);
    });

    test('Notify: once per version, audited, its CloudEvent POSTed; a 500 is retried at a later run', async () => {
      const receiver = await webhook([500]);
      try {
        const { a, storeA, clock, job } = await setup({ webhookUrl: receiver.url });
        const key = await create(a, 'watched', { kty: 'EC-HSM', attributes: { nbf: clock.now, exp: clock.now + 60 * DAY } });
        await setPolicy(a, 'watched', { lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }] });
        clock.now += 29 * DAY;
        assert.deepEqual((await job(a)).notified, []);
        clock.now += 1 * DAY;
        const first = await job(a);
        assert.equal(first.notified.length, 1);
        assert.deepEqual(first.events, { delivered: 0, failed: 1, abandoned: 0 });
        assert.equal(receiver.received.length, 1);
        const event = receiver.received[0];
        assert.equal(event?.contentType, 'application/cloudevents+json; charset=utf-8');
        assert.deepEqual({ ...event?.body, time: undefined }, {
          specversion: '1.0',
          id: first.notified[0]?.eventId,
          source: 'https://hsm1.managedhsm.localhost:8443',
          type: 'Microsoft.KeyVault.KeyNearExpiry',
          subject: 'watched',
          time: undefined,
          datacontenttype: 'application/json',
          data: {
            Id: `https://hsm1.managedhsm.localhost:8443/keys/watched/${key.version}`,
            VaultName: 'hsm1', ObjectType: 'Key', ObjectName: 'watched', Version: key.version,
            NBF: key.attributes.nbf, EXP: key.attributes.exp,
          },
        });
        // Not again for this version, and the failed delivery waits for its backoff (30 s).
        clock.now += 10;
        assert.deepEqual([(await job(a)).notified.length, receiver.received.length], [0, 1]);
        clock.now += 20;
        const retry = await job(a);
        assert.deepEqual(retry.events, { delivered: 1, failed: 0, abandoned: 0 });
        assert.equal(receiver.received.length, 2);
        assert.deepEqual(receiver.received[1]?.body, event?.body, 'the same event, the same id');
        clock.now += DAY;
        assert.deepEqual([(await job(a)).events.delivered, receiver.received.length], [0, 2]);
        const stored = await storeA.reader.keyEvents.getKeyEvent(first.notified[0]?.eventId ?? '');
        assert.deepEqual([stored?.status, stored?.attempts], ['delivered', 2]);
        const audited = a.audit.events.filter(({ event: e }) => e.operation === 'notifyKeyNearExpiry' && e.fields['skipped'] === undefined);
        assert.equal(audited.length, 1);
        assert.deepEqual([audited[0]?.event.fields['key'], audited[0]?.event.fields['version']], ['watched', key.version]);
        // A new version (an operator's rotation) is notified again when its own time comes.
        const next = await a.kernel.perform(a.admin, OPERATIONS.rotateKey, { name: 'watched' });
        assert.equal(next.attributes.exp, undefined, 'no expiryTime: the new version has no exp, so no near-expiry');
        await a.kernel.perform(a.admin, OPERATIONS.updateKey, { name: 'watched', request: { attributes: { exp: clock.now + 10 * DAY } } });
        const again = await job(a);
        assert.deepEqual(again.notified.map((entry) => entry.version), [next.version]);
        assert.equal(receiver.received.length, 3);
      } finally {
        await receiver.close();
      }
    });

    test('without a webhook a notification is audited, and no event is kept', async () => {
      const { a, storeA, clock, job } = await setup();
      await create(a, 'quiet', { kty: 'EC-HSM', attributes: { exp: clock.now + 10 * DAY } });
      await setPolicy(a, 'quiet', { lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }] });
      const report = await job(a);
      assert.deepEqual([report.notified.length, report.notified[0]?.eventId], [1, undefined]);
      assert.deepEqual(await storeA.reader.keyEvents.listPendingKeyEvents(clock.now + DAY, 10), []);
    });
  });
}
