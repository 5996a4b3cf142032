/**
 * `perform`, the pipeline every caller goes through: authorization before anything runs, the same key rules for
 * a caller that is not HTTP, the audit event of every call (in the unit of work for writes, never a payload),
 * metrics, a locked key store, and a unit of work that loses a race being run again so the rules hold.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Authorizer } from '../../../src/domain/kernel/authorizer.ts';
import { OPERATIONS } from '../../../src/domain/kernel/catalogue.ts';
import { systemContext, type CallerContext } from '../../../src/domain/kernel/context.ts';
import { Kernel } from '../../../src/domain/kernel/kernel.ts';
import { OperationMetrics } from '../../../src/domain/kernel/metrics.ts';
import { RootOfTrust } from '../../../src/keystore/root-of-trust.ts';
import { sealingKey } from '../../../src/keystore/sealing-key.ts';
import { MemoryStore } from '../../../src/storage/memory/memory-store.ts';
import type { StrongroomError } from '../../../src/errors/strongroom-error.ts';
import { kernelFor, RecordingAudit } from '../../helpers/kernel.ts';

const digest = createHash('sha256').update('message').digest();
const policy = { data: Buffer.from('{"version":"1.0.0","anyOf":[]}').toString('base64url') };

describe('authorization comes first', () => {
  test('a refused caller changes nothing and runs nothing, and the refusal is audited', async () => {
    const store = new MemoryStore();
    const audit = new RecordingAudit();
    const refuseAll: Authorizer = { authorize: async () => { throw Object.assign(new Error('no'), { code: 'Forbidden' }); } };
    const base = kernelFor(store);
    const kernel = new Kernel({ store, env: base.kernel.env, authorizer: refuseAll, audit, metrics: new OperationMetrics() });
    await assert.rejects(kernel.perform(base.admin, OPERATIONS.createKey, { name: 'k', request: { kty: 'EC' } }));
    assert.equal(store.commits, 0);
    assert.equal((await store.reader.keys.listKeys({ limit: 10 })).items.length, 0);
    assert.equal(audit.events.length, 1);
    assert.equal(audit.events[0]?.event.outcome, 'failure');
  });

  test('the system caller may run the jobs, and nothing else (deny by default)', async () => {
    const { kernel, admin, clock } = kernelFor(new MemoryStore());
    const system = systemContext('purge', () => clock.now);
    assert.deepEqual(await kernel.perform(system, OPERATIONS.purgeExpiredKeys, {}), []);
    await assert.rejects(kernel.perform(system, OPERATIONS.createKey, { name: 'k', request: { kty: 'EC' } }), {
      code: 'Forbidden',
      inner: 'ForbiddenByRbac',
    });
    await kernel.perform(admin, OPERATIONS.createKey, { name: 'k', request: { kty: 'EC' } });
    await assert.rejects(kernel.perform(system, OPERATIONS.sign, { name: 'k', alg: 'ES256', digest }), { code: 'Forbidden' });
  });
});

describe('a caller that is not HTTP goes through the same checks', () => {
  test('disabled keys, key_ops and the validity window apply to a CLI caller as to HTTP', async () => {
    const { kernel, admin, clock } = kernelFor(new MemoryStore());
    const cli: CallerContext = { ...admin, channel: 'cli' };
    await kernel.perform(cli, OPERATIONS.createKey, { name: 'k', request: { kty: 'EC', key_ops: ['verify'] } });
    await assert.rejects(kernel.perform(cli, OPERATIONS.sign, { name: 'k', alg: 'ES256', digest }), { code: 'Forbidden', inner: 'KeyOperationForbidden' });
    await kernel.perform(cli, OPERATIONS.updateKey, { name: 'k', request: { key_ops: ['sign', 'verify'], attributes: { exp: clock.now + 10 } } });
    const signed = await kernel.perform(cli, OPERATIONS.sign, { name: 'k', alg: 'ES256', digest });
    assert.equal(signed.result.length, 64);
    clock.now += 10;
    await assert.rejects(kernel.perform(cli, OPERATIONS.sign, { name: 'k', alg: 'ES256', digest }), { code: 'Forbidden', inner: 'KeyExpired' });
    const verified = await kernel.perform(cli, OPERATIONS.verify, { name: 'k', alg: 'ES256', digest, signature: signed.result });
    assert.equal(verified.result, true, 'verify keeps working after exp');
    await kernel.perform(cli, OPERATIONS.updateKey, { name: 'k', request: { attributes: { enabled: false } } });
    await assert.rejects(kernel.perform(cli, OPERATIONS.verify, { name: 'k', alg: 'ES256', digest, signature: signed.result }), { inner: 'KeyDisabled' });
  });
});

describe('audit and metrics', () => {
  test('every call is audited with identifiers only: writes inside their unit, reads and failures outside', async () => {
    const { kernel, admin, audit, metrics } = kernelFor(new MemoryStore());
    const created = await kernel.perform(admin, OPERATIONS.createKey, { name: 'audited', request: { kty: 'EC' } });
    const signed = await kernel.perform(admin, OPERATIONS.sign, { name: 'audited', alg: 'ES256', digest });
    await assert.rejects(kernel.perform(admin, OPERATIONS.sign, { name: 'missing', alg: 'ES256', digest }));
    const [create, sign, missing] = audit.events;
    assert.deepEqual(
      [create?.inUnit, sign?.inUnit, missing?.inUnit],
      [true, false, false],
    );
    assert.deepEqual(create?.event.fields, { key: 'audited', version: created.version });
    assert.deepEqual(sign?.event.fields, { key: 'audited', version: created.version, alg: 'ES256' });
    assert.equal(missing?.event.outcome, 'failure');
    assert.equal(missing?.event.errorCode, 'KeyNotFound');
    assert.equal(sign?.event.caller.id, 'admin-principal');
    assert.equal(sign?.event.requestId, 'test-request');
    const everything = JSON.stringify(audit.events);
    for (const payload of [digest, signed.result]) {
      for (const encoding of ['base64', 'base64url', 'hex'] as const) assert.ok(!everything.includes(payload.toString(encoding)), 'no payload in audit');
    }
    const stats = metrics.snapshot();
    assert.equal(stats['sign']?.success, 1);
    assert.equal(stats['sign']?.failure, 1);
    assert.equal(stats['createKey']?.success, 1);
  });
});

describe('a locked key store', () => {
  test('answers 503 for every use of key material, stores nothing, and opens once unlocked', async () => {
    const store = new MemoryStore();
    const root = new RootOfTrust('key-material');
    const { kernel, admin } = kernelFor(store, { root });
    await assert.rejects(kernel.perform(admin, OPERATIONS.createKey, { name: 'k', request: { kty: 'EC' } }), {
      code: 'ServiceUnavailable',
    });
    assert.equal((await store.reader.keys.listKeys({ limit: 10 })).items.length, 0);
    // Unlock with a key, create, lock again: the key exists, but its material cannot be used.
    root.unlock(sealingKey(Buffer.alloc(32, 7)));
    await kernel.perform(admin, OPERATIONS.createKey, { name: 'k', request: { kty: 'EC' } });
    assert.equal((await kernel.perform(admin, OPERATIONS.sign, { name: 'k', alg: 'ES256', digest })).result.length, 64);
    root.lock();
    await assert.rejects(kernel.perform(admin, OPERATIONS.sign, { name: 'k', alg: 'ES256', digest }), { code: 'ServiceUnavailable' });
    assert.equal((await kernel.perform(admin, OPERATIONS.getKey, { name: 'k' })).name, 'k', 'metadata stays readable');
  });
});

describe('units of work that lose a race', () => {
  test('two concurrent updates: one wins, the other runs again on fresh data, and the rule holds', async () => {
    const store = new MemoryStore();
    const { kernel, admin } = kernelFor(store);
    await kernel.perform(admin, OPERATIONS.createKey, { name: 'race', request: { kty: 'EC', attributes: { exportable: true }, release_policy: policy } });
    // Both updates read the version before either commits (the memory store runs units concurrently).
    let attempts = 0;
    const original = store.transaction.bind(store);
    store.transaction = (work) => {
      attempts += 1;
      return original(work);
    };
    const [lock, tag] = await Promise.allSettled([
      kernel.perform(admin, OPERATIONS.updateKey, { name: 'race', request: { attributes: { exportable: false } } }),
      kernel.perform(admin, OPERATIONS.updateKey, { name: 'race', request: { attributes: { exportable: true }, tags: { seen: 'exportable' } } }),
    ]);
    assert.equal(lock.status, 'fulfilled');
    const final = await store.reader.keys.getKeyVersion('race');
    assert.equal(final?.attributes.exportable, false, 'exportable never returns to true');
    if (tag.status === 'fulfilled') {
      // Serial order: the tag update ran first (and saw an exportable key), then the lock.
      assert.equal(tag.value.attributes.exportable, true);
      assert.deepEqual(final?.tags, { seen: 'exportable' });
    } else {
      // Serial order: the lock ran first; run again, the tag update saw a non-exportable key and was refused.
      assert.match(String(tag.reason.message), /never be made exportable/);
    }
    assert.equal(final?.rowVersion, tag.status === 'fulfilled' ? 3 : 2);
    assert.equal(attempts, 3, 'the loser ran its unit a second time');
  });

  test('a unit that keeps losing is answered 409 Conflict, with nothing half-written', async () => {
    const store = new MemoryStore();
    const { kernel, admin } = kernelFor(store);
    await kernel.perform(admin, OPERATIONS.createKey, { name: 'busy', request: { kty: 'EC' } });
    // Every attempt's update races a concurrent change made between its read and its commit.
    const original = store.transaction.bind(store);
    let interfering = true;
    store.transaction = async (work) => original(async (unit) => {
      const result = await work(unit);
      if (interfering) {
        interfering = false;
        await original(async (other) => {
          const current = await other.keys.getKeyVersion('busy');
          if (current !== undefined) await other.keys.updateKeyVersion('busy', current.version, current.rowVersion, { updated: 1, tags: { by: 'other' } });
        });
        interfering = true;
      }
      return result;
    });
    await assert.rejects(kernel.perform(admin, OPERATIONS.updateKey, { name: 'busy', request: { tags: { by: 'me' } } }), { code: 'Conflict', status: 409 });
    store.transaction = original;
    assert.deepEqual((await store.reader.keys.getKeyVersion('busy'))?.tags, { by: 'other' });
  });
});

describe('an instance awaiting activation', () => {
  test('answers 503 "awaits activation" to every key operation, reads included, and stores nothing', async () => {
    const store = new MemoryStore();
    const { kernel, admin } = kernelFor(store, { activated: false });
    for (const [operation, input] of [
      [OPERATIONS.createKey, { name: 'k', request: { kty: 'EC' } }],
      [OPERATIONS.getKeys, { page: { limit: 10 } }],
      [OPERATIONS.getRandomBytes, { count: 8 }],
    ] as const) {
      await assert.rejects(kernel.perform(admin, operation as never, input as never), (error: StrongroomError) => {
        assert.equal(error.code, 'ServiceUnavailable');
        assert.match(error.message, /awaits activation/);
        assert.equal(error.headers['retry-after'], '10');
        return true;
      });
    }
    assert.equal((await store.reader.keys.listKeys({ limit: 10 })).items.length, 0);
  });
});
