/**
 * Object limits (domain/limits/object-limits.ts): the models' figures, and the limits as every operation that
 * adds an object meets them through the kernel, on a real SQLite store — create, import, rotate and restore count;
 * soft-deleted keys count until purged; a refusal is 409 Conflict (inner QuotaExceeded) naming the limit and
 * its value, and stores nothing; custom role definitions and role assignments per scope likewise.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPERATIONS } from '../../../src/domain/kernel/catalogue.ts';
import { keyObjectLimits, MANAGED_HSM_OBJECT_LIMITS, maxRoleAssignmentsAt, objectLimitsFor, type ObjectLimits } from '../../../src/domain/limits/object-limits.ts';
import { SqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import { kernelFor } from '../../helpers/kernel.ts';

describe('the models', () => {
  test("Managed HSM's defaults, and Cloud HSM's 3,200 handles with RSA and EC at 2, AES at 1", () => {
    assert.deepEqual(objectLimitsFor('managedhsm'), MANAGED_HSM_OBJECT_LIMITS);
    assert.deepEqual({ ...MANAGED_HSM_OBJECT_LIMITS, model: undefined }, {
      model: undefined, maxKeys: 5000, maxVersionsPerKey: 100, maxCustomRoleDefinitions: 50, maxRoleAssignmentsAtRoot: 50, maxRoleAssignmentsPerKey: 10,
    });
    const cloud = objectLimitsFor('cloudhsm');
    assert.equal(cloud.maxKeys, 3200);
    assert.deepEqual(keyObjectLimits(cloud), { maxVersionsPerKey: 100, maxHandles: { limit: 3200, costPerFamily: { RSA: 2, EC: 2, oct: 1 } } });
    assert.deepEqual(keyObjectLimits(MANAGED_HSM_OBJECT_LIMITS), { maxVersionsPerKey: 100, maxKeys: 5000 });
    assert.equal(maxRoleAssignmentsAt(MANAGED_HSM_OBJECT_LIMITS, '/'), 50);
    assert.equal(maxRoleAssignmentsAt(MANAGED_HSM_OBJECT_LIMITS, '/keys'), 50);
    assert.equal(maxRoleAssignmentsAt(MANAGED_HSM_OBJECT_LIMITS, '/keys/k1'), 10);
  });
});

function setup(limits: Partial<ObjectLimits>) {
  const store = new SqliteStore(':memory:');
  store.migrate();
  const { kernel, admin } = kernelFor(store, { limits: { ...MANAGED_HSM_OBJECT_LIMITS, ...limits } });
  const create = (name: string, kty = 'EC', extra: object = {}) => kernel.perform(admin, OPERATIONS.createKey, { name, request: { kty, ...extra } });
  return { kernel, admin, create, store };
}

const quota = (message: RegExp) => ({ code: 'Conflict', status: 409, inner: 'QuotaExceeded', message });

describe('keys through the kernel', () => {
  test('keys per instance: create and import past the limit are 409, deleted keys count until purged, restore counts', async () => {
    const { kernel, admin, create } = setup({ maxKeys: 2 });
    await create('a');
    await create('b');
    await assert.rejects(create('c'), quota(/^The number of keys \(2\) in this HSM has reached its limit/));
    const jwk = { kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url') };
    await assert.rejects(kernel.perform(admin, OPERATIONS.importKey, { name: 'c', request: { key: jwk } }), quota(/keys \(2\)/));
    await create('a');
    const backup = await kernel.perform(admin, OPERATIONS.backupKey, { name: 'b' });
    await kernel.perform(admin, OPERATIONS.deleteKey, { name: 'b' });
    await assert.rejects(create('c'), quota(/keys \(2\)/));
    await kernel.perform(admin, OPERATIONS.purgeDeletedKey, { name: 'b' });
    await create('c');
    await assert.rejects(kernel.perform(admin, OPERATIONS.restoreKey, { value: backup }), quota(/keys \(2\)/));
    await assert.rejects(kernel.perform(admin, OPERATIONS.getKey, { name: 'b' }), { code: 'KeyNotFound' });
  });

  test('versions per key: create, rotate and restore past the limit are 409 naming the key', async () => {
    const { kernel, admin, create } = setup({ maxVersionsPerKey: 2 });
    await create('v');
    await kernel.perform(admin, OPERATIONS.rotateKey, { name: 'v' });
    await assert.rejects(create('v'), quota(/^The number of versions \(2\) of key v has reached its limit/));
    await assert.rejects(kernel.perform(admin, OPERATIONS.rotateKey, { name: 'v' }), quota(/versions \(2\)/));
  });

  test('Cloud HSM handles: an RSA or EC key takes 2, AES 1', async () => {
    const { create } = setup({ model: 'cloudhsm', maxKeys: 5 });
    await create('ec1');
    await create('ec2');
    await assert.rejects(create('ec3'), quota(/^The number of key handles \(5\) in this HSM has reached its limit/));
    await create('aes', 'oct', { key_size: 256 });
    await assert.rejects(create('aes2', 'oct', { key_size: 256 }), quota(/handles \(5\)/));
  });
});

describe('roles through the kernel', () => {
  const definition = (roleName: string) => ({
    properties: { roleName, permissions: [{ dataActions: ['Microsoft.KeyVault/managedHsm/keys/read/action'] }] },
  });

  test('custom role definitions past the limit are 409; replacing one is not', async () => {
    const { kernel, admin } = setup({ maxCustomRoleDefinitions: 1 });
    const put = (name: string, roleName: string) => kernel.perform(admin, OPERATIONS.createOrUpdateRoleDefinition, { scope: '/', name, request: definition(roleName) });
    await put('d0000000-0000-4000-8000-000000000001', 'one');
    await put('d0000000-0000-4000-8000-000000000001', 'one, renamed');
    await assert.rejects(put('d0000000-0000-4000-8000-000000000002', 'two'), quota(/^The number of custom role definitions \(1\) in this HSM has reached its limit\.$/));
  });

  test('role assignments: per key scope and at / , each its own count', async () => {
    const { kernel, admin } = setup({ maxRoleAssignmentsPerKey: 1, maxRoleAssignmentsAtRoot: 2 });
    const assign = (n: number, scope: string) => kernel.perform(admin, OPERATIONS.createRoleAssignment, {
      scope,
      name: `a0000000-0000-4000-8000-00000000000${n}`,
      request: { properties: { roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/21dbd100-6940-42c2-9190-5d6cb909625b', principalId: `p${n}` } },
    });
    await assign(1, '/keys/k1');
    await assert.rejects(assign(2, '/keys/k1'), quota(/^The number of role assignments \(1\) at scope '\/keys\/k1' has reached its limit\.$/));
    await assign(3, '/keys/k2');
    await assign(4, '/');
    await assign(5, '/');
    await assert.rejects(assign(6, '/'), quota(/role assignments \(2\) at scope '\/'/));
  });
});
