/**
 * The SQLite store as several worker processes use it: two stores (each with its read and write connections)
 * on one file. Whatever one commits, the other sees on its very next read, cached reads included (the
 * change-aware key cache).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { KeyVersion, KeyVersionPatch } from '../../src/domain/keys/key-model.ts';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { StoreBusyError } from '../../src/storage/store-errors.ts';
import { versionId as version, keyVersion as record } from '../helpers/key-versions.ts';

let dir: string;
let writer: SqliteStore;
let reader: SqliteStore;

const add = (store: SqliteStore, value: KeyVersion) => store.transaction((unit) => unit.keys.addKeyVersion(value));
const update = async (store: SqliteStore, name: string, id: string, patch: KeyVersionPatch) =>
  store.transaction(async (unit) => {
    const current = await unit.keys.getKeyVersion(name, id);
    assert.ok(current !== undefined);
    return unit.keys.updateKeyVersion(name, id, current.rowVersion, patch);
  });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-store-'));
  writer = new SqliteStore(join(dir, 'db'));
  writer.migrate();
  reader = new SqliteStore(join(dir, 'db'));
});
after(async () => {
  await writer.close();
  await reader.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a cached read never outlives a change committed by another connection', async () => {
  const keys = reader.reader.keys;
  await add(writer, record('shared', 1));
  assert.equal((await keys.getKeyVersion('shared'))?.attributes.enabled, true);
  assert.equal((await keys.getKeyVersion('shared'))?.attributes.enabled, true); // served from the cache

  await update(writer, 'shared', version(1), { enabled: false, keyOps: ['verify'], updated: 2 });
  const seen = await keys.getKeyVersion('shared');
  assert.equal(seen?.attributes.enabled, false);
  assert.deepEqual(seen?.keyOps, ['verify']);

  await add(writer, record('shared', 2));
  assert.equal((await keys.getKeyVersion('shared'))?.version, version(2), 'a new latest version is seen at once');

  await writer.transaction((unit) => unit.keys.deleteKey('shared', { deletedDate: 3, scheduledPurgeDate: 4 }));
  assert.equal(await keys.getKeyVersion('shared'), undefined, 'a deleted key is gone at once');
  assert.equal(await keys.getKeyVersion('shared', version(1)), undefined);
});

test('a connection sees its own writes at once too', async () => {
  await add(reader, record('own', 1));
  assert.equal((await reader.reader.keys.getKeyVersion('own'))?.attributes.enabled, true);
  await update(reader, 'own', version(1), { enabled: false, updated: 2 });
  assert.equal((await reader.reader.keys.getKeyVersion('own'))?.attributes.enabled, false);
});

test('records handed out are frozen, so a caller cannot change what others read', async () => {
  await add(writer, record('frozen', 1));
  const first = await reader.reader.keys.getKeyVersion('frozen');
  assert.ok(first !== undefined);
  assert.throws(() => { (first.attributes as { enabled: boolean }).enabled = false; }, TypeError);
  assert.throws(() => { first.keyOps.push('encrypt'); }, TypeError);
  assert.equal((await reader.reader.keys.getKeyVersion('frozen'))?.attributes.enabled, true);
});

test('a unit of work open in one store is invisible to reads, in this process and another, until it commits', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const pending = writer.transaction(async (unit) => {
    await unit.keys.addKeyVersion(record('in-flight', 1));
    await gate;
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(await writer.reader.keys.getKeyVersion('in-flight'), undefined, 'same process, read connection');
  assert.equal(await reader.reader.keys.getKeyVersion('in-flight'), undefined, 'another process');
  release();
  await pending;
  assert.equal((await reader.reader.keys.getKeyVersion('in-flight'))?.version, version(1));
});

test('while one process holds the write lock, another waits for it without blocking its event loop', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const holding = writer.transaction(async () => gate);
  await new Promise((resolve) => setImmediate(resolve));
  const waiting = add(reader, record('after-the-lock', 1));
  let ticks = 0;
  const ticker = setInterval(() => { ticks++; }, 5);
  await new Promise((resolve) => setTimeout(resolve, 60));
  clearInterval(ticker);
  assert.ok(ticks >= 3, `the event loop kept running while the unit waited (${ticks} ticks)`);
  release();
  await holding;
  assert.equal(await waiting, 'added');
});

test('a unit that waits longer than its bound for another process\'s lock is StoreBusyError, and wrote nothing', async () => {
  const impatient = new SqliteStore(join(dir, 'db'), { lockWaitMs: 100 });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const holding = writer.transaction(async () => gate);
  await new Promise((resolve) => setImmediate(resolve));
  await assert.rejects(impatient.transaction((unit) => unit.keys.addKeyVersion(record('too-late', 1))), StoreBusyError);
  release();
  await holding;
  assert.equal(await impatient.reader.keys.getKeyVersion('too-late'), undefined);
  assert.equal(await impatient.transaction((unit) => unit.keys.addKeyVersion(record('too-late', 1))), 'added', 'and works once the lock is free');
  await impatient.close();
});
