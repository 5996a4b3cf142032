/**
 * The PostgreSQL store when the database goes away: its connections cut under a unit of work
 * (`pg_terminate_backend`), and the server stopped outright. A unit then fails with StoreBusyError (503 +
 * Retry-After) and leaves nothing half-written; the cached reader does not answer from its cache while it cannot
 * be told of changes; and once the database is back the store works again, by itself.
 *
 * Stopping the server needs one of this file's own (harness/postgres.ts), not STRONGROOM_TEST_STORE's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { postgresBinariesPresent, startPostgres, testPostgres, type OwnedPostgres, type TestPostgres } from '../../harness/postgres.ts';
import type { KeyVersion } from '../../src/domain/keys/key-model.ts';
import { PostgresStore, type StoreChange } from '../../src/storage/postgres/postgres-store.ts';
import { isStoreBusy } from '../../src/storage/store-errors.ts';
import { versionId, keyVersion as record } from '../helpers/key-versions.ts';

const stores: PostgresStore[] = [];
const servers: TestPostgres[] = [];
after(async () => {
  for (const store of stores) await store.close();
  for (const server of servers) await server.close();
});

const add = (store: PostgresStore, value: KeyVersion) => store.transaction((unit) => unit.keys.addKeyVersion(value));

async function migratedStore(server: TestPostgres): Promise<{ store: PostgresStore; name: string; changes: StoreChange[] }> {
  const { url, name } = await server.createDatabase();
  const store = new PostgresStore({ url });
  stores.push(store);
  await store.migrate();
  const changes: StoreChange[] = [];
  store.onChange((change) => changes.push(change));
  await until(() => store.changeFeedLive, 5_000, 'change feed live');
  return { store, name, changes };
}

async function until(condition: () => boolean | Promise<boolean>, limitMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + limitMs; ; ) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs `attempt` until it stops failing with StoreBusyError (the store recovering), for at most `limitMs`. */
async function onceAvailable<T>(attempt: () => Promise<T>, limitMs: number): Promise<T> {
  for (const deadline = Date.now() + limitMs; ; ) {
    try {
      return await attempt();
    } catch (error) {
      if (!isStoreBusy(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

let shared: TestPostgres;
before(async () => {
  shared = await testPostgres();
  servers.push(shared);
});

test('connections cut under a unit: StoreBusyError, nothing half-written, and the store works again', async () => {
  const { store, name } = await migratedStore(shared);
  await add(store, record('before', 1));
  const failure = await store
    .transaction(async (unit) => {
      await unit.keys.addKeyVersion(record('half', 1));
      await unit.settings.putSetting('half', 'written');
      await shared.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await unit.keys.addKeyVersion(record('half', 2));
    })
    .catch((error: unknown) => error);
  assert.ok(isStoreBusy(failure), `a StoreBusyError, not ${String(failure)}`);
  assert.equal(await onceAvailable(() => store.reader.keys.getKeyVersion('half'), 5_000), undefined, 'nothing of the unit committed');
  assert.equal(await store.reader.settings.getSetting('half'), undefined);
  assert.equal((await store.reader.keys.getKeyVersion('before'))?.version, versionId(1));
  assert.equal(await onceAvailable(() => add(store, record('after', 1)), 5_000), 'added');
  assert.equal((await store.reader.keys.getKeyVersion('after'))?.version, versionId(1));
});

const external = process.env.STRONGROOM_TEST_STORE !== undefined && process.env.STRONGROOM_TEST_STORE !== '';
test(
  'the server stopped: units and reads are StoreBusyError, the cache stands aside; started again, all works by itself',
  { skip: external && !postgresBinariesPresent() ? 'STRONGROOM_TEST_STORE is set and there are no binaries to start a server to stop' : false },
  async () => {
    const own: OwnedPostgres = await startPostgres();
    servers.push(own);
    const { store, changes } = await migratedStore(own);
    await add(store, record('cached', 1));
    assert.equal((await store.reader.keys.getKeyVersion('cached'))?.version, versionId(1));
    assert.equal((await store.reader.keys.getKeyVersion('cached'))?.version, versionId(1));

    await own.stop();
    await until(() => !store.changeFeedLive, 2_000, 'the feed notices');
    assert.ok(changes.some((change) => change.kind === 'everything' && change.reason === 'connection-lost'));
    const unit = await add(store, record('while-down', 1)).catch((error: unknown) => error);
    assert.ok(isStoreBusy(unit), `a unit: StoreBusyError, not ${String(unit)}`);
    const read = await store.reader.keys.getKeyVersion('cached').catch((error: unknown) => error);
    assert.ok(isStoreBusy(read), `a cached read while nothing can vouch for the cache: StoreBusyError, not ${String(read)}`);
    await assert.rejects(store.changeCounter(), (error: unknown) => isStoreBusy(error));

    await own.start();
    assert.equal(await onceAvailable(() => add(store, record('after-restart', 1)), 10_000), 'added');
    assert.equal(await store.reader.keys.getKeyVersion('while-down'), undefined);
    assert.equal((await store.reader.keys.getKeyVersion('cached'))?.version, versionId(1));
    await until(() => store.changeFeedLive, 10_000, 'the feed reconnects by itself');
    assert.ok(changes.some((change) => change.kind === 'everything' && change.reason === 'reconnected'));
  },
);
