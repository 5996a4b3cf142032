/**
 * Secret operations through the kernel on the in-memory store: values sealed before storage sees them and bound
 * to name and version, never in an audit event; the attribute gates on the test clock; the purge job purging
 * expired deleted secrets (and only those); backups refusing what is not theirs; a locked root answering 503.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATIONS } from '../../../src/domain/kernel/catalogue.ts';
import { systemContext } from '../../../src/domain/kernel/context.ts';
import { purgeJob } from '../../../src/jobs/purge-job.ts';
import { openSecretValue } from '../../../src/keystore/secret-sealing.ts';
import { MemoryStore } from '../../../src/storage/memory/memory-store.ts';
import { StrongroomError } from '../../../src/errors/strongroom-error.ts';
import { kernelFor } from '../../helpers/kernel.ts';

const VALUE = 'correct-horse-⚡-battery-staple-秘密';
const code = (status: number, pattern?: RegExp) => (error: unknown) =>
  error instanceof StrongroomError && error.status === status && (pattern === undefined || pattern.test(error.message));

test('setSecret seals the value before storage sees it, bound to the name and version; no audit event holds it', async () => {
  const store = new MemoryStore();
  const { kernel, admin, audit, custody } = kernelFor(store);
  const set = await kernel.perform(admin, OPERATIONS.setSecret, { name: 'Sealed', request: { value: VALUE, tags: { t: '1' } } });
  assert.equal(set.value, VALUE);
  const stored = await store.reader.secrets.getSecretVersion('sealed');
  assert.ok(stored !== undefined);
  assert.equal(stored.sealedValue.indexOf(Buffer.from(VALUE, 'utf8')), -1);
  assert.equal(stored.sealedValue.toString('latin1').includes('battery'), false);
  const root = custody.roots.keyMaterial;
  assert.equal(openSecretValue(root, stored), VALUE);
  // Moved to another secret or version, the sealed value does not open.
  assert.throws(() => openSecretValue(root, { ...stored, name: 'other' }));
  assert.throws(() => openSecretValue(root, { ...stored, version: 'f'.repeat(32) }));
  const got = await kernel.perform(admin, OPERATIONS.getSecret, { name: 'SEALED' });
  assert.equal(got.value, VALUE);
  const backup = await kernel.perform(admin, OPERATIONS.backupSecret, { name: 'sealed' });
  assert.equal(backup.includes('battery'), false);
  const events = JSON.stringify(audit.events);
  assert.equal(events.includes('battery'), false);
  assert.ok(audit.events.some(({ event }) => event.operation === 'getSecret' && event.fields['secret'] === 'SEALED'));
});

test('disabled and out-of-window versions do not give their value; the clock decides', async () => {
  const store = new MemoryStore();
  const { kernel, admin, clock } = kernelFor(store);
  const now = clock.now;
  const set = await kernel.perform(admin, OPERATIONS.setSecret, { name: 'windowed', request: { value: 'v', attributes: { nbf: now + 10, exp: now + 20 } } });
  await assert.rejects(kernel.perform(admin, OPERATIONS.getSecret, { name: 'windowed' }), code(403, /not yet valid/));
  clock.now = now + 10;
  assert.equal((await kernel.perform(admin, OPERATIONS.getSecret, { name: 'windowed' })).value, 'v');
  clock.now = now + 20;
  await assert.rejects(kernel.perform(admin, OPERATIONS.getSecret, { name: 'windowed' }), code(403, /expired/));
  await kernel.perform(admin, OPERATIONS.updateSecret, { name: 'windowed', version: set.record.version, request: { attributes: { exp: null, enabled: false } } });
  await assert.rejects(kernel.perform(admin, OPERATIONS.getSecret, { name: 'windowed' }), code(403, /disabled secret/));
  const listed = await kernel.perform(admin, OPERATIONS.getSecrets, { page: { limit: 25 } });
  assert.deepEqual(listed.items.map((item) => item.name), ['windowed']);
});

test('the purge job purges deleted secrets whose retention ran out, and deleted keys, each in its own namespace', async () => {
  const store = new MemoryStore();
  const { kernel, admin, clock, audit } = kernelFor(store, { retentionDays: 7 });
  await kernel.perform(admin, OPERATIONS.setSecret, { name: 'old', request: { value: 'a' } });
  await kernel.perform(admin, OPERATIONS.setSecret, { name: 'kept', request: { value: 'b' } });
  await kernel.perform(admin, OPERATIONS.createKey, { name: 'old', request: { kty: 'EC' } });
  await kernel.perform(admin, OPERATIONS.deleteSecret, { name: 'old' });
  clock.now += 86_400;
  await kernel.perform(admin, OPERATIONS.deleteSecret, { name: 'kept' });
  const job = purgeJob(kernel);
  clock.now += 6 * 86_400;
  await job.run(systemContext('purge', () => clock.now), undefined);
  assert.equal(await store.reader.secrets.getDeletedSecret('old'), undefined, 'purged at its scheduled date');
  assert.ok((await store.reader.secrets.getDeletedSecret('kept')) !== undefined, 'not before');
  assert.ok((await store.reader.keys.getKeyVersion('old')) !== undefined, 'the key of the same name is untouched');
  const purge = audit.events.find(({ event }) => event.operation === 'purgeExpiredSecrets');
  assert.equal(purge?.event.fields['purged'], 1);
  assert.equal(purge?.event.caller.kind, 'system');
});

test('setSecret refuses a soft-deleted name (409) and bad input (400) before anything is stored', async () => {
  const store = new MemoryStore();
  const { kernel, admin } = kernelFor(store);
  await kernel.perform(admin, OPERATIONS.setSecret, { name: 'held', request: { value: 'x' } });
  await kernel.perform(admin, OPERATIONS.deleteSecret, { name: 'held' });
  const commits = store.commits;
  await assert.rejects(kernel.perform(admin, OPERATIONS.setSecret, { name: 'HELD', request: { value: 'y' } }), code(409, /deleted but recoverable/));
  await assert.rejects(kernel.perform(admin, OPERATIONS.setSecret, { name: 'bad name', request: { value: 'y' } }), code(400));
  await assert.rejects(kernel.perform(admin, OPERATIONS.setSecret, { name: 'big', request: { value: 'x'.repeat(25_601) } }), code(400, /25600/));
  assert.equal(store.commits, commits, 'refusals are audited outside any unit and store nothing');
});

test('a restore refuses a blob that is not a secret backup of this domain', async () => {
  const store = new MemoryStore();
  const { kernel, admin } = kernelFor(store);
  await kernel.perform(admin, OPERATIONS.createKey, { name: 'k', request: { kty: 'EC' } });
  const keyBackup = await kernel.perform(admin, OPERATIONS.backupKey, { name: 'k' });
  for (const value of [keyBackup, 'AAAA', '', 'not base64!', 42]) {
    await assert.rejects(kernel.perform(admin, OPERATIONS.restoreSecret, { value }), code(400, /invalid or corrupt/));
  }
  const other = kernelFor(new MemoryStore());
  await other.kernel.perform(other.admin, OPERATIONS.setSecret, { name: 'theirs', request: { value: 'x' } });
  const foreign = await other.kernel.perform(other.admin, OPERATIONS.backupSecret, { name: 'theirs' });
  await assert.rejects(kernel.perform(admin, OPERATIONS.restoreSecret, { value: foreign }), code(400, /another security domain/));
  assert.equal(await store.reader.secrets.getSecretVersion('theirs'), undefined);
});

test('a locked key-material root answers 503 and stores nothing', async () => {
  const store = new MemoryStore();
  const { kernel, admin, custody } = kernelFor(store);
  await kernel.perform(admin, OPERATIONS.setSecret, { name: 'before', request: { value: 'x' } });
  custody.roots.keyMaterial.lock();
  await assert.rejects(kernel.perform(admin, OPERATIONS.setSecret, { name: 'locked', request: { value: 'x' } }), code(503));
  await assert.rejects(kernel.perform(admin, OPERATIONS.getSecret, { name: 'before' }), code(503));
  assert.equal(await store.reader.secrets.getSecretVersion('locked'), undefined);
});
