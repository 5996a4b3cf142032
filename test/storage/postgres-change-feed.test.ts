/**
 * Cache coherence across nodes on PostgreSQL: two stores on one database, each with its key cache and its
 * change feed. What one commits, the other's (cached) reader sees within 1 s by NOTIFY; a lost notification is
 * caught by the fallback poll; a dropped LISTEN connection makes the cache stand aside until it is back. This
 * process's own writes are seen at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { testPostgres, type TestPostgres } from '../../harness/postgres.ts';
import type { KeyVersion, KeyVersionPatch } from '../../src/domain/keys/key-model.ts';
import { LISTEN_APPLICATION_NAME } from '../../src/storage/postgres/change-feed.ts';
import { PostgresStore, type StoreChange } from '../../src/storage/postgres/postgres-store.ts';
import { versionId, keyVersion as record } from '../helpers/key-versions.ts';

let server: TestPostgres;
const stores: PostgresStore[] = [];

before(async () => {
  server = await testPostgres();
});
after(async () => {
  for (const store of stores) await store.close();
  await server?.close();
});

const add = (store: PostgresStore, value: KeyVersion) => store.transaction((unit) => unit.keys.addKeyVersion(value));
const update = (store: PostgresStore, name: string, id: string, patch: KeyVersionPatch) =>
  store.transaction(async (unit) => {
    const current = await unit.keys.getKeyVersion(name, id);
    assert.ok(current !== undefined);
    return unit.keys.updateKeyVersion(name, id, current.rowVersion, patch);
  });

/** Two nodes on a new migrated database, both listening, both feeds live. */
async function twoNodes(pollIntervalMs = 2_000) {
  const { url, name } = await server.createDatabase();
  const migrator = new PostgresStore({ url, listen: false });
  await migrator.migrate();
  await migrator.close();
  const a = new PostgresStore({ url, pollIntervalMs });
  const b = new PostgresStore({ url, pollIntervalMs });
  stores.push(a, b);
  const changes: StoreChange[] = [];
  b.onChange((change) => changes.push(change));
  await until(() => a.changeFeedLive && b.changeFeedLive, 5_000, 'both change feeds live');
  return { url, name, a, b, changes };
}

/** Polls `condition` every 5 ms; the time it took to hold, or a failure after `limitMs`. */
async function until(condition: () => boolean | Promise<boolean>, limitMs: number, what: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await condition()) return performance.now() - started;
    if (performance.now() - started > limitMs) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test("a change committed through one node is seen by the other's cached reader within 1 s", async (t) => {
  const { a, b, changes } = await twoNodes();
  const keys = b.reader.keys;
  await add(a, record('shared', 1));
  assert.equal((await keys.getKeyVersion('shared'))?.attributes.enabled, true);
  assert.equal((await keys.getKeyVersion('shared'))?.attributes.enabled, true); // cached now

  await update(a, 'shared', versionId(1), { enabled: false, updated: 2 });
  const disabledAfter = await until(async () => (await keys.getKeyVersion('shared'))?.attributes.enabled === false, 1_000, 'the disable seen');
  await add(a, record('shared', 2));
  await until(async () => (await keys.getKeyVersion('shared'))?.version === versionId(2), 1_000, 'a new latest version seen');
  await a.transaction((unit) => unit.keys.deleteKey('shared', { deletedDate: 3, scheduledPurgeDate: 4 }));
  await until(async () => (await keys.getKeyVersion('shared', versionId(1))) === undefined, 1_000, 'the delete seen');
  assert.ok(disabledAfter < 1_000);
  t.diagnostic(`the other node saw the disable ${disabledAfter.toFixed(1)} ms after its commit`);
  assert.ok(
    changes.some((change) => change.kind === 'keys' && change.names.includes('shared')),
    `b was told which key changed: ${JSON.stringify(changes)}`,
  );
});

test("a node's own writes are seen by its cached reader at once, and notified to its listeners too", async () => {
  const { a } = await twoNodes();
  const mine: StoreChange[] = [];
  a.onChange((change) => mine.push(change));
  await add(a, record('Own', 1));
  assert.equal((await a.reader.keys.getKeyVersion('own'))?.attributes.enabled, true);
  assert.equal((await a.reader.keys.getKeyVersion('own'))?.attributes.enabled, true);
  await update(a, 'own', versionId(1), { enabled: false, updated: 2 });
  assert.equal((await a.reader.keys.getKeyVersion('own'))?.attributes.enabled, false, 'no wait at all');
  await until(() => mine.some((change) => change.kind === 'keys' && change.names.includes('own')), 1_000, 'own change notified');
});

test('the change counter: one bump per committed unit that wrote keys, none for other units', async () => {
  const { a, b } = await twoNodes();
  const start = await b.changeCounter();
  await add(a, record('counted', 1));
  await a.transaction(async (unit) => {
    await unit.keys.addKeyVersion(record('counted', 2));
    await unit.keys.addKeyVersion(record('other', 3));
  });
  await a.transaction((unit) => unit.settings.putSetting('unrelated', 'x'));
  await a.transaction(async (unit) => {
    await unit.keys.addKeyVersion(record('never', 4));
    throw new Error('rolled back');
  }).catch(() => undefined);
  assert.equal(await b.changeCounter(), start + 2);
});

test('a lost notification is caught by the fallback poll, and a listener that stays deaf is replaced', async (t) => {
  const { url, b, changes } = await twoNodes(200);
  await add(b, record('polled', 1));
  assert.equal((await b.reader.keys.getKeyVersion('polled'))?.attributes.enabled, true);
  assert.equal((await b.reader.keys.getKeyVersion('polled'))?.attributes.enabled, true);
  // Another writer commits a change and bumps the counter, but no notification is sent.
  const rogue = new pg.Client({ connectionString: url });
  await rogue.connect();
  await rogue.query("BEGIN; UPDATE key_versions SET enabled = false, row_version = row_version + 1 WHERE name_lc = 'polled'; UPDATE store_changes SET counter = counter + 1; COMMIT");
  await rogue.end();
  const seenAfter = await until(async () => (await b.reader.keys.getKeyVersion('polled'))?.attributes.enabled === false, 1_000, 'the unnotified change seen');
  assert.ok(seenAfter < 1_000);
  t.diagnostic(`an unnotified change was seen ${seenAfter.toFixed(1)} ms after its commit (poll every 200 ms)`);
  await until(() => changes.some((change) => change.kind === 'everything' && change.reason === 'missed-notification'), 1_000, 'told: missed');
  await until(() => changes.some((change) => change.kind === 'everything' && change.reason === 'reconnected'), 2_000, 'listener replaced');
  await until(() => b.changeFeedLive, 2_000, 'live again');
});

test('a dropped LISTEN connection: the cache stands aside, listeners are told, the feed reconnects by itself', async () => {
  const { name, a, b, changes } = await twoNodes();
  await add(a, record('dropped', 1));
  assert.equal((await b.reader.keys.getKeyVersion('dropped'))?.attributes.enabled, true);
  assert.equal((await b.reader.keys.getKeyVersion('dropped'))?.attributes.enabled, true);
  await server.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [
    name,
    LISTEN_APPLICATION_NAME,
  ]);
  await until(() => changes.some((change) => change.kind === 'everything' && change.reason === 'connection-lost'), 1_000, 'told: lost');
  // Committed while b cannot be notified: b must see it all the same.
  await update(a, 'dropped', versionId(1), { enabled: false, updated: 2 });
  assert.equal((await b.reader.keys.getKeyVersion('dropped'))?.attributes.enabled, false);
  await until(() => b.changeFeedLive, 2_000, 'live again');
  assert.ok(changes.some((change) => change.kind === 'everything' && change.reason === 'reconnected'));
  await update(a, 'dropped', versionId(1), { enabled: true, updated: 3 });
  await until(async () => (await b.reader.keys.getKeyVersion('dropped'))?.attributes.enabled === true, 1_000, 'notified again after the reconnect');
});
