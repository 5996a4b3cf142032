/**
 * Rules of the key lifecycle that need a controlled clock: the retention purge, and attribute rules checked on
 * update. A real SQLite store (in memory) and a real keystore; only the clock is ours.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { KeyService } from '../../../src/domain/keys/key-service.ts';
import { keyEncryptionKeyFromBytes } from '../../../src/keystore/key-encryption-key.ts';
import { Keystore } from '../../../src/keystore/keystore.ts';
import { SqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';

function setup(retentionDays = 7) {
  const store = new SqliteStore(':memory:');
  store.migrate();
  const clock = { now: 1_800_000_000 };
  const keys = new KeyService({
    store,
    keystore: new Keystore(keyEncryptionKeyFromBytes(randomBytes(32))),
    retentionDays,
    now: () => clock.now,
  });
  return { keys, clock, store };
}

test('a deleted key is purged by the service once its retention has passed, not before', async () => {
  const { keys, clock } = setup(7);
  await keys.createKey('short-lived', { kty: 'EC' });
  const deleted = await keys.deleteKey('short-lived');
  assert.equal(deleted.deletion.scheduledPurgeDate, clock.now + 7 * 86_400);

  clock.now += 7 * 86_400 - 1;
  assert.deepEqual(await keys.purgeExpiredKeys(), []);
  assert.equal((await keys.getDeletedKey('short-lived')).name, 'short-lived');

  clock.now += 1;
  assert.deepEqual(await keys.purgeExpiredKeys(), ['short-lived']);
  await assert.rejects(keys.getDeletedKey('short-lived'), { code: 'KeyNotFound' });
  // The name is free again.
  await keys.createKey('short-lived', { kty: 'EC' });
});

test('an exportable key needs a release policy; a non-exportable key never becomes exportable', async () => {
  const { keys } = setup();
  const policy = { data: Buffer.from(JSON.stringify({ version: '1.0.0', anyOf: [] })).toString('base64url') };
  await assert.rejects(keys.createKey('x', { kty: 'EC', attributes: { exportable: true } }), { code: 'BadParameter' });
  const exportable = await keys.createKey('x', { kty: 'EC', attributes: { exportable: true }, release_policy: policy });
  assert.equal(exportable.attributes.exportable, true);
  const fixed = await keys.updateKey('x', undefined, { attributes: { exportable: false } });
  assert.equal(fixed.attributes.exportable, false);
  await assert.rejects(keys.updateKey('x', undefined, { attributes: { exportable: true } }), { code: 'BadParameter' });
});

test('an immutable release policy cannot be replaced', async () => {
  const { keys } = setup();
  const data = Buffer.from('{"version":"1.0.0"}').toString('base64url');
  await keys.createKey('locked', { kty: 'EC', attributes: { exportable: true }, release_policy: { data, immutable: true } });
  await assert.rejects(keys.updateKey('locked', undefined, { release_policy: { data } }), { code: 'BadParameter' });
});

test('update keeps what it is not given, clears nbf/exp given as null, and refuses exp before nbf', async () => {
  const { keys, clock } = setup();
  const created = await keys.createKey('window', { kty: 'EC', attributes: { nbf: clock.now, exp: clock.now + 100 }, tags: { a: 'b' } });
  clock.now += 5;
  const updated = await keys.updateKey('window', created.version, { attributes: { exp: null } });
  assert.equal(updated.attributes.nbf, created.attributes.nbf);
  assert.equal(updated.attributes.exp, undefined);
  assert.deepEqual(updated.tags, { a: 'b' });
  assert.equal(updated.attributes.updated, created.attributes.created + 5);
  await assert.rejects(keys.updateKey('window', undefined, { attributes: { exp: clock.now - 10 } }), { code: 'BadParameter' });
});
