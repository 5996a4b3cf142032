/**
 * The storage contract of rotation policies and the key-event outbox, run by store-contract.test.ts on every
 * backend: policies per key name (case-insensitive, surviving versions, hidden while the key is soft-deleted,
 * gone with a purge), the candidates query, the scheduler's compare-and-set marks (also with units racing), the
 * outbox's pending list and its conditional attempt records, and the lease taken off schedule.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RotationPolicy } from '../../src/domain/keys/rotation-policy.ts';
import { ConcurrentChangeError } from '../../src/storage/store-errors.ts';
import type { Store, UnitOfWork } from '../../src/storage/store.ts';
import { keyVersion, versionId } from '../helpers/key-versions.ts';

const POLICY: RotationPolicy = { expiryTime: 'P90D', lifetimeActions: [{ type: 'Rotate', timeAfterCreate: 'P30D' }], vaultUri: 'https://hsm.localhost' };

async function retrying<T>(store: Store, work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await store.transaction(work);
    } catch (error) {
      if (!(error instanceof ConcurrentChangeError)) throw error;
    }
  }
}

export function describeRotationContract(open: () => Store): void {
  describe('rotation policies and key events', () => {
    const add = (store: Store, name: string, n: number, exp?: number) =>
      store.transaction((unit) => unit.keys.addKeyVersion(keyVersion(name, n, { attributes: { enabled: true, exportable: false, created: n * 10, updated: n * 10, exp } })));

    test('a policy per key name: put (upsert keeps created), get case-insensitively, none for a missing key', async () => {
      const store = open();
      await add(store, 'Alpha', 1);
      assert.equal(await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy('nokey', POLICY, 5)), undefined);
      assert.equal(await store.reader.rotationPolicies.getRotationPolicy('alpha'), undefined);
      const first = await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy('ALPHA', POLICY, 100));
      assert.deepEqual(first, { name: 'Alpha', policy: POLICY, created: 100, updated: 100 });
      const replaced: RotationPolicy = { lifetimeActions: [] };
      await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy('alpha', replaced, 200));
      assert.deepEqual(await store.reader.rotationPolicies.getRotationPolicy('aLpHa'), { name: 'Alpha', policy: replaced, created: 100, updated: 200 });
      await store.close();
    });

    test('it survives new versions, hides while soft-deleted, comes back with a recover, and goes with a purge', async () => {
      const store = open();
      await add(store, 'k', 1);
      await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy('k', POLICY, 1));
      await add(store, 'k', 2);
      assert.deepEqual((await store.reader.rotationPolicies.getRotationPolicy('k'))?.policy, POLICY);
      await store.transaction((unit) => unit.keys.deleteKey('k', { deletedDate: 5, scheduledPurgeDate: 10 }));
      assert.equal(await store.reader.rotationPolicies.getRotationPolicy('k'), undefined);
      assert.deepEqual((await store.reader.rotationPolicies.listRotationCandidates({ limit: 10 })).items, []);
      assert.equal(await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy('k', POLICY, 6)), undefined);
      await store.transaction((unit) => unit.keys.recoverDeletedKey('k'));
      assert.deepEqual((await store.reader.rotationPolicies.getRotationPolicy('k'))?.policy, POLICY);
      await store.transaction((unit) => unit.keys.deleteKey('k', { deletedDate: 5, scheduledPurgeDate: 10 }));
      assert.equal(await store.transaction((unit) => unit.keys.purgeDeletedKey('k')), true);
      await add(store, 'k', 3);
      assert.equal(await store.reader.rotationPolicies.getRotationPolicy('k'), undefined, 'a new key of the name starts without a policy');
      // The purge job's purge takes the policy too.
      await add(store, 'old', 4);
      await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy('old', POLICY, 1));
      await store.transaction((unit) => unit.keys.deleteKey('old', { deletedDate: 5, scheduledPurgeDate: 10 }));
      await store.transaction((unit) => unit.keys.purgeExpiredKeys(10));
      await add(store, 'old', 5);
      assert.equal(await store.reader.rotationPolicies.getRotationPolicy('old'), undefined);
      await store.close();
    });

    test('candidates: active keys whose policy has actions, with the latest version\'s times and the marks, in name pages', async () => {
      const store = open();
      for (const [index, name] of ['b', 'A', 'c', 'd'].entries()) await add(store, name, index + 1);
      await add(store, 'b', 9, 5000);
      for (const name of ['a', 'b', 'c']) await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy(name, POLICY, 1));
      await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy('d', { lifetimeActions: [] }, 1));
      const first = await store.reader.rotationPolicies.listRotationCandidates({ limit: 2 });
      assert.deepEqual(first.items.map((c) => c.name), ['A', 'b']);
      assert.deepEqual(first.items[1]?.latest, { version: versionId(9), created: 90, exp: 5000 });
      assert.equal(first.items[0]?.latest.exp, undefined);
      assert.deepEqual(first.items[0]?.policy, POLICY);
      assert.ok(first.next !== undefined);
      const second = await store.reader.rotationPolicies.listRotationCandidates({ limit: 2, after: first.next });
      assert.deepEqual(second.items.map((c) => c.name), ['c']);
      assert.equal(second.next, undefined);
      await store.close();
    });

    test('claims are compare-and-set: once per version, also for units racing', async () => {
      const store = open();
      await add(store, 'k', 1);
      assert.equal(await store.transaction((unit) => unit.rotationPolicies.claimRotation('k', 'v1')), false, 'no policy, no claim');
      await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy('k', POLICY, 1));
      const racing = await Promise.all(Array.from({ length: 6 }, () => retrying(store, (unit) => unit.rotationPolicies.claimRotation('K', 'v1'))));
      assert.equal(racing.filter(Boolean).length, 1);
      assert.equal(await store.transaction((unit) => unit.rotationPolicies.claimRotation('k', 'v2')), true);
      assert.equal(await store.transaction((unit) => unit.rotationPolicies.claimNotification('k', 'v2')), true, 'the marks are separate');
      assert.equal(await store.transaction((unit) => unit.rotationPolicies.claimNotification('k', 'v2')), false);
      // A policy replaced keeps the marks.
      await store.transaction((unit) => unit.rotationPolicies.putRotationPolicy('k', POLICY, 2));
      const [candidate] = (await store.reader.rotationPolicies.listRotationCandidates({ limit: 5 })).items;
      assert.deepEqual([candidate?.rotatedFrom, candidate?.notifiedVersion], ['v2', 'v2']);
      // A unit that rolls back leaves no mark.
      await assert.rejects(store.transaction(async (unit) => {
        await unit.rotationPolicies.claimRotation('k', 'v3');
        throw new Error('rolled back');
      }));
      assert.equal(await store.transaction((unit) => unit.rotationPolicies.claimRotation('k', 'v3')), true);
      await store.close();
    });

    test('the outbox: pending events due by now, oldest first; attempts recorded only while pending', async () => {
      const store = open();
      await store.transaction(async (unit) => {
        await unit.keyEvents.addKeyEvent({ id: 'e2', time: 20, body: '{"n":2}' });
        await unit.keyEvents.addKeyEvent({ id: 'e1', time: 10, body: '{"n":1}' });
      });
      await assert.rejects(store.transaction((unit) => unit.keyEvents.addKeyEvent({ id: 'e1', time: 30, body: '{}' })));
      assert.deepEqual((await store.reader.keyEvents.listPendingKeyEvents(15, 10)).map((e) => e.id), ['e1']);
      assert.deepEqual((await store.reader.keyEvents.listPendingKeyEvents(25, 10)).map((e) => e.id), ['e1', 'e2']);
      assert.deepEqual(await store.reader.keyEvents.getKeyEvent('e1'), { id: 'e1', time: 10, body: '{"n":1}', status: 'pending', attempts: 0, nextAttempt: 10, lastError: undefined, deliveredAt: undefined });
      assert.equal(await store.transaction((unit) => unit.keyEvents.recordKeyEventAttempt('e1', { status: 'pending', attempts: 1, nextAttempt: 100, lastError: 'the webhook answered 500' })), true);
      assert.deepEqual((await store.reader.keyEvents.listPendingKeyEvents(50, 10)).map((e) => e.id), ['e2']);
      assert.equal(await store.transaction((unit) => unit.keyEvents.recordKeyEventAttempt('e1', { status: 'delivered', attempts: 2, nextAttempt: 100, deliveredAt: 101 })), true);
      assert.equal(await store.transaction((unit) => unit.keyEvents.recordKeyEventAttempt('e1', { status: 'pending', attempts: 3, nextAttempt: 200 })), false, 'delivered is final');
      assert.deepEqual(await store.reader.keyEvents.getKeyEvent('e1'), { id: 'e1', time: 10, body: '{"n":1}', status: 'delivered', attempts: 2, nextAttempt: 100, lastError: undefined, deliveredAt: 101 });
      assert.equal(await store.transaction((unit) => unit.keyEvents.recordKeyEventAttempt('missing', { status: 'delivered', attempts: 1, nextAttempt: 1 })), false);
      assert.deepEqual((await store.reader.keyEvents.listPendingKeyEvents(1000, 1)).map((e) => e.id), ['e2']);
      await store.close();
    });

    test('a lease taken off schedule (evenIfNotDue) still respects a live lease, and keeps the schedule', async () => {
      const store = open();
      assert.equal(await store.transaction((unit) => unit.jobs.tryAcquireLease('j', 'node', 100, 130)), true);
      await store.transaction((unit) => unit.jobs.recordRun('j', 'node', { started: 100, finished: 101, outcome: 'succeeded', nextRun: 160 }));
      assert.equal(await store.transaction((unit) => unit.jobs.tryAcquireLease('j', 'cli', 110, 140)), false, 'not due');
      assert.equal(await store.transaction((unit) => unit.jobs.tryAcquireLease('j', 'cli', 110, 200, { evenIfNotDue: true })), true);
      assert.equal(await store.transaction((unit) => unit.jobs.tryAcquireLease('j', 'node', 170, 200)), false, 'the cli holds it');
      assert.equal(await store.transaction((unit) => unit.jobs.tryAcquireLease('j', 'other', 120, 150, { evenIfNotDue: true })), false, 'nor a second operator');
      await store.transaction((unit) => unit.jobs.recordRun('j', 'cli', { started: 110, finished: 111, outcome: 'succeeded', nextRun: 160 }));
      assert.equal((await store.reader.jobs.getJob('j'))?.nextRun, 160);
      assert.equal(await store.transaction((unit) => unit.jobs.tryAcquireLease('j', 'node', 170, 200)), true);
      await store.close();
    });
  });
}
