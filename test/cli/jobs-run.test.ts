/**
 * `strongroom jobs run rotation` as an operator runs it, against a real instance (a server started once to make
 * the data directory and the keys, through its REST API), on SQLite and on PostgreSQL: it rotates what is due as of
 * `--now` (once: run again, nothing), notifies a version near expiry and POSTs its CloudEvent to a webhook the test
 * runs (node:http), retrying a 500 at a later run; it refuses to run while another holder has the job's lease (a
 * server's runner mid-run), rotating nothing; and the server sees the rotated versions.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runStrongroom } from '../../harness/cli-process.ts';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { testPostgres, type TestPostgres } from '../../harness/postgres.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { Store } from '../../src/storage/store.ts';

const DAY = 86_400;
let postgres: TestPostgres | undefined;
after(async () => { await postgres?.close(); });

async function webhook(statuses: number[]) {
  const received: Array<Record<string, unknown>> = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    request.on('end', () => {
      received.push(JSON.parse(text) as Record<string, unknown>);
      response.statusCode = statuses.shift() ?? 202;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`strongroom jobs run rotation on ${backend}`, () => {
    test('rotates and notifies what is due as of --now, once; delivers with a retry; yields to a held lease', async () => {
      let storeUrl: string | undefined;
      if (backend === 'postgres') {
        postgres ??= await testPostgres();
        storeUrl = (await postgres.createDatabase()).url;
      }
      // Two workers: the command's commits must reach every process's cache (on SQLite through the node's change
      // beacon, whose last slot is the offline commands'; on PostgreSQL through the change feed).
      const server: StartedServer = await startServer({ store: storeUrl === undefined ? 'sqlite' : { postgres: storeUrl }, workers: 2 });
      const receiver = await webhook([500]);
      try {
        const api = apiClient(server, await accessToken(server));
        const made = Math.floor(Date.now() / 1000);
        const rotating = await api.post('/keys/cli-rotating/create', { kty: 'EC-HSM' });
        assert.equal(rotating.status, 200, rotating.text);
        await api.put('/keys/cli-rotating/rotationpolicy', { lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } }], attributes: { expiryTime: 'P60D' } });
        const watched = await api.post('/keys/cli-watched/create', { kty: 'RSA-HSM', attributes: { exp: made + 40 * DAY } });
        await api.put('/keys/cli-watched/rotationpolicy', { lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }] });
        // Every worker has the latest version cached before the command runs.
        for (let i = 0; i < 4; i++) assert.equal((await api.get('/keys/cli-rotating/')).json.key.kid, rotating.json.key.kid);

        const args = (now: number) => ['jobs', 'run', 'rotation', '--now', iso(now), '--json', '--event-webhook', receiver.url, ...(storeUrl === undefined ? [] : ['--store', storeUrl])];
        const run = async (now: number) => {
          const result = await runStrongroom(args(now), { dataDir: server.dataDir });
          return { ...result, report: result.code === 0 ? JSON.parse(result.stdout) : undefined };
        };

        const early = await run(made + 5 * DAY);
        assert.equal(early.code, 0, early.stderr);
        assert.deepEqual([early.report.rotated, early.report.notified], [[], []]);

        const due = made + 31 * DAY;
        const first = await run(due);
        assert.equal(first.code, 0, first.stderr);
        assert.equal(first.report.asOf, iso(due));
        assert.deepEqual(first.report.rotated.map((entry: { name: string }) => entry.name), ['cli-rotating']);
        assert.equal(first.report.rotated[0].fromVersion, rotating.json.key.kid.split('/').pop());
        // The running server answers the rotated version at once, on every worker.
        for (let i = 0; i < 4; i++) {
          const latest = (await api.get('/keys/cli-rotating/')).json;
          assert.equal(latest.attributes.created, due, 'a worker served the version from before the command ran');
        }
        assert.deepEqual(first.report.notified.map((entry: { name: string }) => entry.name), ['cli-watched']);
        assert.deepEqual(first.report.events, { delivered: 0, failed: 1, abandoned: 0 });
        assert.equal(receiver.received.length, 1);
        assert.equal(receiver.received[0]?.['type'], 'Microsoft.KeyVault.KeyNearExpiry');
        assert.deepEqual((receiver.received[0]?.['data'] as Record<string, unknown>)['ObjectName'], 'cli-watched');
        assert.equal((receiver.received[0]?.['data'] as Record<string, unknown>)['EXP'], watched.json.attributes.exp);

        const again = await run(due);
        assert.deepEqual([again.report.rotated, again.report.notified, again.report.events.delivered, receiver.received.length], [[], [], 0, 1]);
        const retry = await run(due + 60);
        assert.deepEqual([retry.report.rotated, retry.report.events.delivered, receiver.received.length], [[], 1, 2]);
        assert.deepEqual(receiver.received[1], receiver.received[0]);

        // Another holder (a server's runner mid-run) has the lease: the command rotates nothing and says so.
        const store: Store = storeUrl === undefined ? new SqliteStore(join(server.dataDir, 'strongroom.db')) : new PostgresStore({ url: storeUrl, listen: false });
        const realNow = Math.floor(Date.now() / 1000);
        // (On PostgreSQL the server's own runner may hold the lease for the few milliseconds of its run.)
        let held = false;
        for (let attempt = 0; !held && attempt < 50; attempt++) {
          held = await store.transaction((unit) => unit.jobs.tryAcquireLease('key-rotation', 'node-elsewhere', realNow, realNow + 600, { evenIfNotDue: true }));
          if (!held) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.ok(held);
        const refused = await runStrongroom(args(due + 100 * DAY), { dataDir: server.dataDir });
        assert.equal(refused.code, 1, refused.stdout);
        assert.match(refused.stderr, /the rotation job is running elsewhere \(lease held by node-elsewhere until/);
        await store.transaction((unit) => unit.jobs.recordRun('key-rotation', 'node-elsewhere', { started: realNow, finished: realNow, outcome: 'succeeded', nextRun: realNow + 60 }));
        await store.close();

        const human = await runStrongroom(['jobs', 'run', 'rotation', '--now', iso(due + 100 * DAY), ...(storeUrl === undefined ? [] : ['--store', storeUrl])], { dataDir: server.dataDir });
        assert.equal(human.code, 0, human.stderr);
        assert.match(human.stdout, /^Rotation job as of .*: 1 rotated, 0 notified/);
        assert.match(human.stdout, /rotated {3}cli-rotating: [0-9a-f]{32} -> [0-9a-f]{32}/);
        const usage = await runStrongroom(['jobs', 'run', 'rotation', '--now', 'tomorrow'], { dataDir: server.dataDir });
        assert.equal(usage.code, 2);

        const served = apiClient(server, await accessToken(server));
        const listed = await served.get('/keys/cli-rotating/versions');
        assert.equal(listed.json.value.length, 3, listed.text);
        const latest = await served.get('/keys/cli-rotating/');
        assert.equal(latest.json.attributes.created, due + 100 * DAY);
        assert.equal(latest.json.attributes.exp, due + 160 * DAY);
      } finally {
        await receiver.close();
        await disposeServer(server);
      }
    });
  });
}
