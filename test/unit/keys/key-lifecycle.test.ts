/**
 * Rules of the key lifecycle that need a controlled clock: the retention purge (the purge job's operation), and
 * attribute rules checked on update. Through the kernel, on a real SQLite store (in memory) and a real keystore;
 * only the clock is ours.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATIONS } from '../../../src/domain/kernel/catalogue.ts';
import type { CreateKeyRequest } from '../../../src/domain/keys/key-lifecycle.ts';
import { systemContext } from '../../../src/domain/kernel/context.ts';
import { SqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import { kernelFor } from '../../helpers/kernel.ts';

function setup(retentionDays = 7) {
  const store = new SqliteStore(':memory:');
  store.migrate();
  const { kernel, clock, admin } = kernelFor(store, { retentionDays });
  const create = (name: string, request: CreateKeyRequest) =>
    kernel.perform(admin, OPERATIONS.createKey, { name, request });
  const update = (name: string, version: string | undefined, request: object) =>
    kernel.perform(admin, OPERATIONS.updateKey, { name, version, request });
  const purgeExpired = () => kernel.perform(systemContext('test', () => clock.now), OPERATIONS.purgeExpiredKeys, {});
  return { kernel, clock, admin, create, update, purgeExpired };
}

test('a deleted key is purged by the service once its retention has passed, not before', async () => {
  const { kernel, admin, clock, create, purgeExpired } = setup(7);
  await create('short-lived', { kty: 'EC' });
  const deleted = await kernel.perform(admin, OPERATIONS.deleteKey, { name: 'short-lived' });
  assert.equal(deleted.deletion.scheduledPurgeDate, clock.now + 7 * 86_400);

  clock.now += 7 * 86_400 - 1;
  assert.deepEqual(await purgeExpired(), []);
  assert.equal((await kernel.perform(admin, OPERATIONS.getDeletedKey, { name: 'short-lived' })).name, 'short-lived');

  clock.now += 1;
  assert.deepEqual(await purgeExpired(), ['short-lived']);
  await assert.rejects(kernel.perform(admin, OPERATIONS.getDeletedKey, { name: 'short-lived' }), { code: 'KeyNotFound' });
  // The name is free again.
  await create('short-lived', { kty: 'EC' });
});

test('an exportable key needs a release policy; a non-exportable key never becomes exportable', async () => {
  const { create, update } = setup();
  const policy = { data: Buffer.from(JSON.stringify({ version: '1.0.0', anyOf: [] })).toString('base64url') };
  await assert.rejects(create('x', { kty: 'EC', attributes: { exportable: true } }), { code: 'BadParameter', message: 'AKV.SKR.1004: Exportable keys must have release policy.' });
  const exportable = await create('x', { kty: 'EC', attributes: { exportable: true }, release_policy: policy });
  assert.equal(exportable.attributes.exportable, true);
  const fixed = await update('x', undefined, { attributes: { exportable: false } });
  assert.equal(fixed.attributes.exportable, false);
  await assert.rejects(update('x', undefined, { attributes: { exportable: true } }), { code: 'BadParameter' });
});

test('a release policy on a key that is not exportable is refused with the service message', async () => {
  const { create, update } = setup();
  const release_policy = { data: Buffer.from('{"version":"1.0.0"}').toString('base64url') };
  await assert.rejects(create('plain', { kty: 'EC', release_policy }), {
    code: 'BadParameter',
    message: 'AKV.SKR.1005: Non-exportable keys must not have release policy.',
  });
  await create('plain', { kty: 'EC' });
  await assert.rejects(update('plain', undefined, { release_policy }), {
    code: 'BadParameter',
    message: 'AKV.SKR.1005: Non-exportable keys must not have release policy.',
  });
});

test('an immutable release policy cannot be replaced', async () => {
  const { create, update } = setup();
  const data = Buffer.from('{"version":"1.0.0","anyOf":[]}').toString('base64url');
  await create('locked', { kty: 'EC', attributes: { exportable: true }, release_policy: { data, immutable: true } });
  await assert.rejects(update('locked', undefined, { release_policy: { data } }), {
    code: 'BadParameter',
    message: 'AKV.SKR.1020: Immutable Key Release Policy cannot be modified.',
  });
});

test('update keeps what it is not given, clears nbf/exp given as null, and refuses exp before nbf', async () => {
  const { clock, create, update } = setup();
  const created = await create('window', { kty: 'EC', attributes: { nbf: clock.now, exp: clock.now + 100 }, tags: { a: 'b' } });
  clock.now += 5;
  const updated = await update('window', created.version, { attributes: { exp: null } });
  assert.equal(updated.attributes.nbf, created.attributes.nbf);
  assert.equal(updated.attributes.exp, undefined);
  assert.deepEqual(updated.tags, { a: 'b' });
  assert.equal(updated.attributes.updated, created.attributes.created + 5);
  await assert.rejects(update('window', undefined, { attributes: { exp: clock.now - 10 } }), { code: 'BadParameter' });
});

test('kty AES creates an oct-HSM key, as Managed HSM does', async () => {
  const { create } = setup();
  const key = await create('aes', { kty: 'AES', key_size: 256 });
  assert.equal(key.family, 'oct');
  assert.equal(key.keySize, 256);
});
