/**
 * The local-RBAC decision: scopes cover what is below them, a `*` anywhere in an action pattern stands for any
 * run of characters, `notDataActions` removes from the same permission, nothing is granted by default; and the
 * authorizer's cache bound: a role change seen through the store applies within RBAC_CACHE_SECONDS, at once after
 * `changed()`, even for a read that was under way.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILT_IN_ROLES, builtInRole } from '../../../src/domain/rbac/built-in-roles.ts';
import { DataActions } from '../../../src/domain/rbac/data-actions.ts';
import { RBAC_CACHE_SECONDS, RbacAuthorizer } from '../../../src/domain/rbac/rbac-authorizer.ts';
import { actionMatches, isAllowed, normaliseScope, scopeCovers } from '../../../src/domain/rbac/role-evaluation.ts';
import type { RoleAssignment, RoleDefinition } from '../../../src/domain/rbac/role-model.ts';
import type { CallerContext } from '../../../src/domain/kernel/context.ts';
import { MemoryStore } from '../../../src/storage/memory/memory-store.ts';

const user = builtInRole('Managed HSM Crypto User') as RoleDefinition;
const assignment = (scope: string, role = user.name, principalId = 'p'): RoleAssignment => ({ name: `${scope}-${role}`, scope, roleDefinitionName: role, principalId });

describe('role evaluation', () => {
  test('scopes: / covers all, /keys every key, /keys/{name} that key only (names without case)', () => {
    assert.equal(normaliseScope('///'), '/');
    assert.equal(normaliseScope('//keys/K1/'), '/keys/k1');
    assert.ok(scopeCovers('/', '/keys/k1'));
    assert.ok(scopeCovers('/keys', '/keys/k1'));
    assert.ok(scopeCovers('/keys/K1', '/keys/k1'));
    assert.ok(!scopeCovers('/keys/k1', '/keys/k10'));
    assert.ok(!scopeCovers('/keys/k1', '/keys'));
    assert.ok(!scopeCovers('/keys', '/'));
  });

  test('action patterns and notDataActions', () => {
    assert.ok(actionMatches('Microsoft.KeyVault/managedHsm/keys/*', DataActions.sign));
    assert.ok(!actionMatches('Microsoft.KeyVault/managedHsm/keys/*', DataActions.randomBytes));
    assert.ok(actionMatches(DataActions.sign.toUpperCase(), DataActions.sign));
    // A star anywhere, as Azure allows (`*/read`); before, only a trailing one matched, so such a notDataActions
    // excluded nothing.
    assert.ok(actionMatches('Microsoft.KeyVault/managedHsm/*/delete', DataActions.deleteKey));
    assert.ok(actionMatches('Microsoft.KeyVault/managedHsm/*/delete', DataActions.purgeDeletedKey));
    assert.ok(!actionMatches('Microsoft.KeyVault/managedHsm/*/delete', DataActions.sign));
    assert.ok(actionMatches('*', DataActions.sign));
    assert.ok(actionMatches('Microsoft.KeyVault/*/keys/*/action', DataActions.sign));
    assert.ok(!actionMatches('Microsoft.KeyVault/*/keys/*/action', DataActions.deleteKey));
    assert.ok(!actionMatches('Microsoft.KeyVault/managedHsm/keys/**sign/action/x', DataActions.sign));
    assert.ok(!actionMatches('Microsoft.KeyVault/managedHsm/keys/sign/action*action', DataActions.sign), 'pieces may not overlap');
    const noDeletes: RoleDefinition = { ...user, name: 'd', permissions: [{ actions: [], notActions: [], dataActions: ['Microsoft.KeyVault/managedHsm/*'], notDataActions: ['Microsoft.KeyVault/managedHsm/*/delete'] }] };
    const withNoDeletes = (name: string) => (name === 'd' ? noDeletes : builtInRole(name));
    assert.ok(isAllowed([assignment('/', 'd')], withNoDeletes, DataActions.sign, '/keys/k1'));
    assert.ok(!isAllowed([assignment('/', 'd')], withNoDeletes, DataActions.deleteKey, '/keys/k1'));
    assert.ok(!isAllowed([assignment('/', 'd')], withNoDeletes, DataActions.purgeDeletedKey, '/keys/k1'));
    const custom: RoleDefinition = { ...user, name: 'c', permissions: [{ actions: [], notActions: [], dataActions: ['Microsoft.KeyVault/managedHsm/keys/*'], notDataActions: [DataActions.deleteKey] }] };
    const roleOf = (name: string) => (name === 'c' ? custom : builtInRole(name));
    assert.ok(isAllowed([assignment('/keys/k1', 'c')], roleOf, DataActions.sign, '/keys/k1'));
    assert.ok(!isAllowed([assignment('/keys/k1', 'c')], roleOf, DataActions.deleteKey, '/keys/k1'));
    assert.ok(!isAllowed([assignment('/keys/k1', 'c')], roleOf, DataActions.sign, '/keys/k2'));
    assert.ok(!isAllowed([], roleOf, DataActions.readKey, '/keys/k1'), 'deny by default');
    assert.ok(!isAllowed([assignment('/', 'no-such-role')], roleOf, DataActions.readKey, '/keys/k1'));
  });

  test('each built-in role grants what reference §5.2 lists, and nothing it does not', () => {
    assert.equal(BUILT_IN_ROLES.length, 11, 'nine of Managed HSM, two of Key Vault for secrets');
    const grants = (roleName: string, action: string) => isAllowed([assignment('/', builtInRole(roleName)?.name ?? '')], builtInRole, action, '/keys/k');
    assert.ok(grants('Managed HSM Crypto Auditor', DataActions.readKey));
    assert.ok(!grants('Managed HSM Crypto Auditor', DataActions.sign));
    assert.ok(grants('Managed HSM Crypto Service Encryption User', DataActions.wrapKey));
    assert.ok(!grants('Managed HSM Crypto Service Encryption User', DataActions.encrypt));
    assert.ok(grants('Managed HSM Administrator', DataActions.startBackup));
    assert.ok(!grants('Managed HSM Administrator', DataActions.sign));
    assert.ok(grants('Managed HSM Crypto Officer', DataActions.purgeDeletedKey));
    assert.ok(!grants('Managed HSM Crypto Officer', DataActions.createKey));
    assert.ok(grants('Managed HSM Backup', DataActions.backupKey));
    assert.ok(!grants('Managed HSM Restore', DataActions.backupKey));
    const grantsOnSecret = (roleName: string, action: string) => isAllowed([assignment('/', builtInRole(roleName)?.name ?? '')], builtInRole, action, '/secrets/s');
    for (const action of [DataActions.getSecret, DataActions.setSecret, DataActions.deleteSecret, DataActions.purgeDeletedSecret, DataActions.backupSecret]) {
      assert.ok(grantsOnSecret('Key Vault Secrets Officer', action), action);
    }
    assert.ok(grantsOnSecret('Key Vault Secrets User', DataActions.getSecret));
    assert.ok(!grantsOnSecret('Key Vault Secrets User', DataActions.setSecret));
    assert.ok(!grantsOnSecret('Key Vault Secrets User', DataActions.deleteSecret));
    assert.ok(!grantsOnSecret('Managed HSM Crypto User', DataActions.getSecret), 'key roles do not reach secrets');
    assert.ok(!grants('Key Vault Secrets Officer', DataActions.sign), 'secrets roles do not reach keys');
  });
});

describe('the authorizer', () => {
  const context = (id: string): CallerContext => ({ caller: { id, kind: 'service-principal' }, channel: 'http', requestId: 'r', clock: () => 0 });

  test('a change made through the store applies within the cache bound; changed() applies it at once', async () => {
    const store = new MemoryStore();
    const clock = { now: 100 };
    const authorizer = new RbacAuthorizer({ roles: store.reader.roles, systemActions: [], now: () => clock.now });
    await assert.rejects(authorizer.authorize(context('p'), DataActions.sign, '/keys/k'), { code: 'Forbidden' });
    await store.transaction((unit) => unit.roles.addRoleAssignment(assignment('/')));
    await assert.rejects(authorizer.authorize(context('p'), DataActions.sign, '/keys/k'), { code: 'Forbidden' }, 'cached for now');
    clock.now += RBAC_CACHE_SECONDS;
    await authorizer.authorize(context('p'), DataActions.sign, '/keys/k');
    await store.transaction((unit) => unit.roles.deleteRoleAssignment(assignment('/').name));
    authorizer.changed();
    await assert.rejects(authorizer.authorize(context('p'), DataActions.sign, '/keys/k'), (error: Error & { inner?: string }) => {
      assert.match(error.message, /Caller: oid=p/);
      return true;
    });
  });

  test('a read under way when changed() comes is used once and not kept', async () => {
    const store = new MemoryStore();
    await store.transaction((unit) => unit.roles.addRoleAssignment(assignment('/')));
    const real = store.reader.roles;
    let paused = false;
    let resume = () => {};
    // The assignments read returns what it read before the revocation, but only after it committed.
    const roles = new Proxy(real, {
      get(target, property) {
        if (property === 'listRoleAssignments') {
          return async (query: Parameters<typeof real.listRoleAssignments>[0]) => {
            const value = await target.listRoleAssignments(query);
            if (paused) await new Promise<void>((resolve) => { resume = resolve; });
            return value;
          };
        }
        const member: unknown = Reflect.get(target, property);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    });
    const clock = { now: 100 };
    const authorizer = new RbacAuthorizer({ roles, systemActions: [], now: () => clock.now });
    paused = true;
    const inFlight = authorizer.authorize(context('p'), DataActions.sign, '/keys/k');
    await new Promise((resolve) => setImmediate(resolve));
    await store.transaction((unit) => unit.roles.deleteRoleAssignment(assignment('/').name));
    authorizer.changed();
    paused = false;
    resume();
    await inFlight; // it began before the revocation
    // Before, the old assignments were cached with a fresh time: allowed for RBAC_CACHE_SECONDS more.
    await assert.rejects(authorizer.authorize(context('p'), DataActions.sign, '/keys/k'), { code: 'Forbidden' });
  });

  test('the system caller may do only what the jobs need', async () => {
    const authorizer = new RbacAuthorizer({ roles: new MemoryStore().reader.roles, systemActions: [DataActions.purgeDeletedKey] });
    const system: CallerContext = { caller: { id: 'system:purge', kind: 'system' }, channel: 'job', requestId: 'r', clock: () => 0 };
    await authorizer.authorize(system, DataActions.purgeDeletedKey, '/keys');
    await assert.rejects(authorizer.authorize(system, DataActions.sign, '/keys/k'), { code: 'Forbidden' });
  });
});
