/**
 * A failed operation leaves nothing behind and publishes nothing: with the in-memory store failing a write or
 * the commit, each write operation of the kernel is tried, and afterwards the store is exactly as before, the
 * keystore's cache was not told anything, and the next operation works (the way OpenBao's storage error tests
 * prove Persist/Rotate).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATIONS } from '../../src/domain/kernel/catalogue.ts';
import type { Operation } from '../../src/domain/kernel/operation.ts';
import { InjectedFault, MemoryStore } from '../../src/storage/memory/memory-store.ts';
import { kernelFor } from '../helpers/kernel.ts';

const policy = { data: Buffer.from('{"version":"1.0.0","anyOf":[]}').toString('base64url') };

async function snapshot(store: MemoryStore) {
  const keys = await store.reader.keys.listKeys({ limit: 25 });
  const deleted = await store.reader.keys.listDeletedKeys({ limit: 25 });
  const versions = await Promise.all(keys.items.map((key) => store.reader.keys.listKeyVersions(key.name, { limit: 25 })));
  return JSON.stringify({ keys, deleted, versions });
}

async function setup() {
  const store = new MemoryStore();
  const context = kernelFor(store);
  const { kernel, admin } = context;
  await kernel.perform(admin, OPERATIONS.createKey, { name: 'live', request: { kty: 'EC', attributes: { exportable: true }, release_policy: policy } });
  await kernel.perform(admin, OPERATIONS.createKey, { name: 'deleted', request: { kty: 'EC' } });
  await kernel.perform(admin, OPERATIONS.deleteKey, { name: 'deleted' });
  const forgotten: string[] = [];
  const forget = context.keystore.forget.bind(context.keystore);
  context.keystore.forget = (name) => {
    forgotten.push(name);
    forget(name);
  };
  return { ...context, store, forgotten };
}

const attempts = {
  createKey: { name: 'new', request: { kty: 'EC' } },
  createKeyVersion: { name: 'live', request: { kty: 'EC' } },
  updateKey: { name: 'live', request: { attributes: { exportable: false, enabled: false }, tags: { a: 'b' } } },
  deleteKey: { name: 'live' },
  recoverDeletedKey: { name: 'deleted' },
  purgeDeletedKey: { name: 'deleted' },
} as const;

type Attempt = keyof typeof attempts;
/** Each attempt's operation, loosened to one type so the loop can run them all. */
const operationOf = (attempt: Attempt) =>
  OPERATIONS[attempt === 'createKeyVersion' ? 'createKey' : attempt] as unknown as Operation<never, unknown, unknown>;

for (const fault of ['the first write', 'the commit'] as const) {
  for (const attempt of Object.keys(attempts) as Attempt[]) {
    test(`${attempt} failing at ${fault} changes nothing and publishes nothing`, async () => {
      const { kernel, admin, store, forgotten } = await setup();
      const before = await snapshot(store);
      if (fault === 'the commit') store.failNextCommit();
      else store.failWrite(1);
      await assert.rejects(kernel.perform(admin, operationOf(attempt), attempts[attempt] as never), InjectedFault);
      assert.equal(await snapshot(store), before);
      assert.deepEqual(forgotten, [], 'no cache was told of a change that did not happen');
      // The failure is over: the same operation now works.
      await kernel.perform(admin, operationOf(attempt), attempts[attempt] as never);
      assert.notEqual(await snapshot(store), before);
      if (attempt === 'purgeDeletedKey') assert.deepEqual(forgotten, ['deleted']);
    });
  }
}

test('the purge job failing at its commit purges nothing and forgets nothing', async () => {
  const { kernel, store, forgotten, clock } = await setup();
  clock.now += 91 * 86_400;
  const { systemContext } = await import('../../src/domain/kernel/context.ts');
  const system = systemContext('purge', () => clock.now);
  store.failNextCommit();
  await assert.rejects(kernel.perform(system, OPERATIONS.purgeExpiredKeys, {}), InjectedFault);
  assert.equal((await store.reader.keys.getDeletedKey('deleted'))?.name, 'deleted');
  assert.deepEqual(forgotten, []);
  assert.deepEqual(await kernel.perform(system, OPERATIONS.purgeExpiredKeys, {}), ['deleted']);
  assert.deepEqual(forgotten, ['deleted']);
});
