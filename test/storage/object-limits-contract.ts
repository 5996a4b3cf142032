/**
 * The storage contract of object limits and of Cloud HSM's key attributes, run by store-contract.test.ts on
 * every backend: an addition checked against `KeyObjectLimits` (keys, soft-deleted ones included until purged;
 * versions per key; Cloud HSM handles) is refused with the limit and writes nothing; custom role definitions and
 * role assignments per scope likewise; and units racing for the last free place cannot overshoot. `trusted` and
 * `wrapWithTrusted` are stored, patched and read back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RoleAssignment, RoleDefinition } from '../../src/domain/rbac/role-model.ts';
import { ConcurrentChangeError } from '../../src/storage/store-errors.ts';
import type { KeyObjectLimits, Store, UnitOfWork } from '../../src/storage/store.ts';
import { keyVersion, versionId } from '../helpers/key-versions.ts';

async function retrying<T>(store: Store, work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await store.transaction(work);
    } catch (error) {
      if (!(error instanceof ConcurrentChangeError)) throw error;
    }
  }
}

const ATTRIBUTES = { enabled: true, exportable: false, created: 1, updated: 1 };
const rsa = (name: string, n: number) => keyVersion(name, n, { family: 'RSA', curve: undefined, keySize: 2048 });
const aes = (name: string, n: number) => keyVersion(name, n, { family: 'oct', curve: undefined, keySize: 256 });

const definition = (n: number): RoleDefinition => ({
  name: `d0000000-0000-4000-8000-00000000000${n}`,
  roleName: `custom ${n}`,
  description: '',
  type: 'CustomRole',
  permissions: [{ actions: [], notActions: [], dataActions: ['Microsoft.KeyVault/managedHsm/keys/read/action'], notDataActions: [] }],
  assignableScopes: ['/'],
});
const assignment = (n: number, scope: string, principalId = `p${n}`): RoleAssignment => ({
  name: `a0000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
  scope,
  roleDefinitionName: '21dbd100-6940-42c2-9190-5d6cb909625b',
  principalId,
});

export function describeObjectLimitsContract(open: () => Store): void {
  describe('object limits and Cloud HSM key attributes', () => {
    const add = (store: Store, record: ReturnType<typeof keyVersion>, limits: KeyObjectLimits) =>
      retrying(store, (unit) => unit.keys.addKeyVersion(record, limits));

    test('keys per instance: soft-deleted keys count until purged; a new version adds no key; a refusal writes nothing', async () => {
      const store = open();
      const limits: KeyObjectLimits = { maxVersionsPerKey: 100, maxKeys: 2 };
      assert.equal(await add(store, keyVersion('a', 1), limits), 'added');
      assert.equal(await add(store, keyVersion('b', 2), limits), 'added');
      assert.deepEqual(await add(store, keyVersion('c', 3), limits), { refused: 'keys', limit: 2 });
      assert.equal(await store.reader.keys.getKeyWithVersions('c'), undefined);
      assert.equal(await add(store, keyVersion('A', 4), limits), 'added');
      await store.transaction((unit) => unit.keys.deleteKey('b', { deletedDate: 10, scheduledPurgeDate: 20 }));
      assert.deepEqual(await add(store, keyVersion('c', 5), limits), { refused: 'keys', limit: 2 });
      await store.transaction((unit) => unit.keys.purgeDeletedKey('b'));
      assert.equal(await add(store, keyVersion('c', 6), limits), 'added');
      // Without limits (a full restore) nothing is counted.
      assert.equal(await store.transaction((unit) => unit.keys.addKeyVersion(keyVersion('d', 7))), 'added');
    });

    test('versions per key: the version after the limit is refused, other keys are not', async () => {
      const store = open();
      const limits: KeyObjectLimits = { maxVersionsPerKey: 2, maxKeys: 10 };
      assert.equal(await add(store, keyVersion('v', 1), limits), 'added');
      assert.equal(await add(store, keyVersion('v', 2), limits), 'added');
      assert.deepEqual(await add(store, keyVersion('V', 3), limits), { refused: 'versions', limit: 2 });
      assert.equal((await store.reader.keys.getKeyWithVersions('v'))?.versions.length, 2);
      assert.equal(await add(store, keyVersion('w', 4), limits), 'added');
    });

    test('Cloud HSM handles: RSA and EC versions take 2, AES 1, deleted keys included', async () => {
      const store = open();
      const limits: KeyObjectLimits = { maxVersionsPerKey: 100, maxHandles: { limit: 5, costPerFamily: { RSA: 2, EC: 2, oct: 1 } } };
      assert.equal(await add(store, rsa('r', 1), limits), 'added');
      assert.equal(await add(store, keyVersion('e', 2), limits), 'added');
      await store.transaction((unit) => unit.keys.deleteKey('e', { deletedDate: 10, scheduledPurgeDate: 20 }));
      assert.deepEqual(await add(store, rsa('r', 3), limits), { refused: 'handles', limit: 5 });
      assert.equal(await add(store, aes('s', 4), limits), 'added');
      assert.deepEqual(await add(store, aes('t', 5), limits), { refused: 'handles', limit: 5 });
      await store.transaction((unit) => unit.keys.purgeDeletedKey('e'));
      assert.equal(await add(store, rsa('r', 6), limits), 'added');
    });

    test('units racing for the last free keys cannot overshoot', async () => {
      const store = open();
      const limits: KeyObjectLimits = { maxVersionsPerKey: 3, maxKeys: 4 };
      const outcomes = await Promise.all(Array.from({ length: 16 }, (_, n) => add(store, keyVersion(`race-${n}`, n + 1), limits)));
      assert.equal(outcomes.filter((outcome) => outcome === 'added').length, 4);
      assert.equal((await store.reader.keys.listKeys({ limit: 25 })).items.length, 4);
      const versions = await Promise.all(Array.from({ length: 8 }, (_, n) => add(store, keyVersion('race-many', 100 + n), { ...limits, maxKeys: 100 })));
      assert.equal(versions.filter((outcome) => outcome === 'added').length, 3);
      assert.equal((await store.reader.keys.getKeyWithVersions('race-many'))?.versions.length, 3);
    });

    test('custom role definitions: a new one past the limit is refused, a replacement is not', async () => {
      const store = open();
      const put = (n: number, description = '') => retrying(store, (unit) => unit.roles.putRoleDefinition({ ...definition(n), description }, 2));
      assert.equal(await put(1), 'stored');
      assert.equal(await put(2), 'stored');
      assert.equal(await put(3), 'limit-reached');
      assert.equal(await put(1, 'replaced'), 'stored');
      assert.equal((await store.reader.roles.listRoleDefinitions()).length, 2);
      assert.equal((await store.reader.roles.getRoleDefinition(definition(1).name))?.description, 'replaced');
    });

    test('role assignments per scope: past the limit refused, a duplicate stays a duplicate, other scopes are free; racing units cannot overshoot', async () => {
      const store = open();
      const addAssignment = (a: RoleAssignment, limit: number) => retrying(store, (unit) => unit.roles.addRoleAssignment(a, limit));
      assert.equal(await addAssignment(assignment(1, '/keys/k1'), 2), 'added');
      assert.equal(await addAssignment(assignment(2, '/keys/k1'), 2), 'added');
      assert.equal(await addAssignment(assignment(3, '/keys/k1', 'p1'), 2), 'duplicate');
      assert.equal(await addAssignment(assignment(4, '/keys/k1'), 2), 'limit-reached');
      assert.equal(await addAssignment(assignment(1, '/'), 2), 'name-taken');
      assert.equal(await addAssignment(assignment(5, '/keys/k2'), 2), 'added');
      const raced = await Promise.all(Array.from({ length: 10 }, (_, n) => addAssignment(assignment(100 + n, '/'), 3)));
      assert.equal(raced.filter((outcome) => outcome === 'added').length, 3);
      const atRoot = (await store.reader.roles.listRoleAssignments()).filter((a) => a.scope === '/');
      assert.equal(atRoot.length, 3);
    });

    test('trusted and wrapWithTrusted: stored as given (absent: false and true), patched, read back in every read', async () => {
      const store = open();
      await store.transaction((unit) => unit.keys.addKeyVersion(keyVersion('t', 1)));
      await store.transaction((unit) => unit.keys.addKeyVersion(keyVersion('t', 2, { attributes: { ...ATTRIBUTES, trusted: true, wrapWithTrusted: false } })));
      const first = await store.reader.keys.getKeyVersion('t', versionId(1));
      assert.equal(first?.attributes.trusted, false);
      assert.equal(first?.attributes.wrapWithTrusted, true);
      const second = await store.reader.keys.getKeyVersion('t');
      assert.equal(second?.attributes.trusted, true);
      assert.equal(second?.attributes.wrapWithTrusted, false);
      const patched = await store.transaction((unit) => unit.keys.updateKeyVersion('t', versionId(2), second?.rowVersion ?? 0, { trusted: false, wrapWithTrusted: true, updated: 5 }));
      assert.equal(patched?.attributes.trusted, false);
      assert.equal(patched?.attributes.wrapWithTrusted, true);
      const listed = (await store.reader.keys.listKeyVersions('t', { limit: 25 }))?.items ?? [];
      assert.deepEqual(listed.map((meta) => [meta.attributes.trusted, meta.attributes.wrapWithTrusted]), [[false, true], [false, true]]);
      const whole = await store.reader.keys.getKeyWithVersions('t');
      assert.deepEqual(whole?.versions.map((v) => v.attributes.wrapWithTrusted), [true, true]);
    });
  });
}
