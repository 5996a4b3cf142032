/**
 * The SQLite store as several worker processes use it: two connections to one file. Whatever one connection
 * commits, the other sees on its very next read, cached reads included (the change-aware key cache).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import type { KeyVersionRecord } from '../../src/storage/store.ts';

let dir: string;
let writer: SqliteStore;
let reader: SqliteStore;

const version = (n: number) => n.toString(16).padStart(32, '0');
const record = (name: string, n: number): KeyVersionRecord => ({
  name, version: version(n), family: 'EC', curve: 'P-256', keyOps: ['sign', 'verify'], publicJwk: {},
  sealedMaterial: Buffer.from([n]), attributes: { enabled: true, exportable: false, created: 1, updated: 1 },
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
  await writer.addKeyVersion(record('shared', 1));
  assert.equal((await reader.getKeyVersion('shared'))?.attributes.enabled, true);
  assert.equal((await reader.getKeyVersion('shared'))?.attributes.enabled, true); // served from the cache

  await writer.updateKeyVersion('shared', version(1), { enabled: false, keyOps: ['verify'], updated: 2 });
  const seen = await reader.getKeyVersion('shared');
  assert.equal(seen?.attributes.enabled, false);
  assert.deepEqual(seen?.keyOps, ['verify']);

  await writer.addKeyVersion(record('shared', 2));
  assert.equal((await reader.getKeyVersion('shared'))?.version, version(2), 'a new latest version is seen at once');

  await writer.deleteKey('shared', { deletedDate: 3, scheduledPurgeDate: 4 });
  assert.equal(await reader.getKeyVersion('shared'), undefined, 'a deleted key is gone at once');
  assert.equal(await reader.getKeyVersion('shared', version(1)), undefined);
});

test('a connection sees its own writes at once too', async () => {
  await reader.addKeyVersion(record('own', 1));
  assert.equal((await reader.getKeyVersion('own'))?.attributes.enabled, true);
  await reader.updateKeyVersion('own', version(1), { enabled: false, updated: 2 });
  assert.equal((await reader.getKeyVersion('own'))?.attributes.enabled, false);
});

test('records handed out are frozen, so a caller cannot change what others read', async () => {
  await writer.addKeyVersion(record('frozen', 1));
  const first = await reader.getKeyVersion('frozen');
  assert.ok(first !== undefined);
  assert.throws(() => { (first.attributes as { enabled: boolean }).enabled = false; }, TypeError);
  assert.throws(() => { first.keyOps.push('encrypt'); }, TypeError);
  assert.equal((await reader.getKeyVersion('frozen'))?.attributes.enabled, true);
});

test('names are case-insensitive and keep the case they were created with', async () => {
  await writer.addKeyVersion(record('CamelCase', 1));
  await writer.addKeyVersion(record('camelcase', 2));
  const latest = await reader.getKeyVersion('CAMELCASE');
  assert.equal(latest?.name, 'CamelCase');
  assert.equal(latest?.version, version(2));
  assert.equal((await reader.listKeyVersions('camelCASE', { limit: 10 }))?.items.length, 2);
});

test('a write that fails leaves nothing behind', async () => {
  await writer.addKeyVersion(record('unique', 1));
  await assert.rejects(writer.addKeyVersion(record('unique', 1)), /UNIQUE/);
  assert.equal((await reader.listKeyVersions('unique', { limit: 10 }))?.items.length, 1);
});
