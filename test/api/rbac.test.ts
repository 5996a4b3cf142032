/**
 * Issue 10, local RBAC (reference §5.1, §5.2) through the Managed HSM REST shapes: the built-in roles, custom
 * roles, role assignments at `/`, `/keys`, `/keys/{name}` (in the SDK's unescaped path forms too), and the
 * enforcement on every data action, deny by default: a refusal is 403 `ForbiddenByRbac` naming the action, the
 * same whether or not the key exists. The first administrator holds Administrator, Crypto Officer and Crypto User
 * at `/`; the test takes its Crypto User role away to see the rule bite.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

const P = 'providers/Microsoft.Authorization';
const CRYPTO_USER = '21dbd100-6940-42c2-9190-5d6cb909625b';
const digest = Buffer.alloc(32, 5).toString('base64url');
let server: TestServer;
let api: ReturnType<typeof apiClient>;
let admin = '';

before(async () => {
  server = await startServer();
  api = apiClient(server, await accessToken(server));
  admin = server.credentials.clientId;
});
after(async () => { await disposeServer(server); });

describe('role definitions', () => {
  test('the eleven built-in roles (nine of Managed HSM, two of Key Vault for secrets) with their GUIDs, at /, in the SDK path form', async () => {
    const list = await api.get(`///${P}/roleDefinitions`);
    assert.equal(list.status, 200, list.text);
    const byName = new Map(list.json.value.map((d: { name: string; properties: { roleName: string } }) => [d.properties.roleName, d]));
    assert.equal(list.json.value.length, 11);
    for (const [roleName, guid] of [
      ['Managed HSM Administrator', 'a290e904-7015-4bba-90c8-60543313cdb4'],
      ['Managed HSM Crypto User', CRYPTO_USER],
      ['Managed HSM Crypto Service Release User', '21dbd100-6940-42c2-9190-5d6cb909625c'],
      ['Managed HSM Backup', '7b127d3c-77bd-4e3e-bbe0-dbb8971fa7f8'],
      ['Key Vault Secrets Officer', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'],
      ['Key Vault Secrets User', '4633458b-17de-408a-b874-0445c86b69e6'],
    ] as const) {
      const role = byName.get(roleName) as { name: string; id: string; type: string; properties: { type: string; assignableScopes: string[] } } | undefined;
      assert.equal(role?.name, guid, roleName);
      assert.equal(role?.id, `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${guid}`);
      assert.equal(role?.type, 'Microsoft.Authorization/roleDefinitions');
      assert.equal(role?.properties.type, 'AKVBuiltInRole');
      assert.deepEqual(role?.properties.assignableScopes, ['/']);
    }
    const one = await api.get(`/${P}/roleDefinitions/${CRYPTO_USER}`);
    assert.ok(one.json.properties.permissions[0].dataActions.includes('Microsoft.KeyVault/managedHsm/keys/sign/action'));
    assert.equal((await api.get(`/${P}/roleDefinitions/${randomUUID()}`)).json.error.code, 'RoleDefinitionNotFound');
  });

  test('a custom role: a built-in GUID is refused, then created (201), read, listed, and deleted once unassigned', async () => {
    const properties = { roleName: 'Key signer', description: 'signs', type: 'CustomRole', permissions: [{ dataActions: ['Microsoft.KeyVault/managedHsm/keys/sign/action'], notDataActions: [] }], assignableScopes: ['/'] };
    const reused = await api.put(`/${P}/roleDefinitions/${CRYPTO_USER}`, { properties });
    assert.equal(reused.status, 400);
    assert.match(reused.json.error.message, /Cannot re-use the name\/GUID matching that of a built-in role/);
    assert.equal((await api.put(`/keys/${P}/roleDefinitions/${randomUUID()}`, { properties })).status, 400, 'definitions live at /');
    assert.equal((await api.put(`/${P}/roleDefinitions/${randomUUID()}`, { properties: { ...properties, permissions: [{ actions: ['x'] }] } })).status, 400);
    const name = randomUUID();
    const created = await api.put(`/${P}/roleDefinitions/${name}`, { properties });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.properties.type, 'CustomRole');
    assert.equal((await api.get(`/${P}/roleDefinitions/${name}`)).json.properties.roleName, 'Key signer');
    assert.equal((await api.get(`/${P}/roleDefinitions`)).json.value.length, 12);
    const assignment = randomUUID();
    assert.equal((await api.put(`/${P}/roleAssignments/${assignment}`, { properties: { roleDefinitionId: created.json.id, principalId: 'someone' } })).status, 201);
    assert.equal((await api.delete(`/${P}/roleDefinitions/${name}`)).status, 409, 'in use');
    assert.equal((await api.delete(`/${P}/roleAssignments/${assignment}`)).status, 200);
    assert.equal((await api.delete(`/${P}/roleDefinitions/${name}`)).status, 200);
    assert.equal((await api.delete(`/${P}/roleDefinitions/${CRYPTO_USER}`)).status, 400, 'built-ins stay');
  });

  test('a custom role is assigned only within its assignableScopes', async () => {
    const name = randomUUID();
    const properties = { roleName: 'Key reader', type: 'CustomRole', permissions: [{ dataActions: ['Microsoft.KeyVault/managedHsm/keys/read/action'] }], assignableScopes: ['/keys'] };
    const created = await api.put(`/${P}/roleDefinitions/${name}`, { properties });
    assert.equal(created.status, 201, created.text);
    const made: string[] = [];
    const assign = (scope: string) => {
      const path = `${scope}${P}/roleAssignments/${randomUUID()}`;
      made.push(path);
      return api.put(path, { properties: { roleDefinitionId: created.json.id, principalId: 'reader' } });
    };
    // Before, the scopes a role declared were never checked: this one could be assigned at / and over secrets.
    const atRoot = await assign('/');
    assert.equal(atRoot.status, 400, atRoot.text);
    assert.match(atRoot.json.error.message, /can be assigned only at \/keys or below, not at \//);
    assert.equal((await assign('/secrets/')).status, 400);
    assert.equal((await assign('/keys/')).status, 201);
    assert.equal((await assign('/keys/some-key/')).status, 201);
    for (const path of made.slice(-2)) assert.equal((await api.delete(path)).status, 200);
    assert.equal((await api.delete(`/${P}/roleDefinitions/${name}`)).status, 200);
  });
});

describe('role assignments', () => {
  test('the first administrator holds Administrator, Crypto Officer, Crypto User and Secrets Officer at /', async () => {
    const mine = await api.get(`/${P}/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${admin}'`)}`);
    assert.equal(mine.status, 200, mine.text);
    const roles = mine.json.value.map((a: { properties: { roleDefinitionId: string; scope: string } }) => `${a.properties.scope} ${a.properties.roleDefinitionId.split('/').at(-1)}`).sort();
    assert.deepEqual(roles, ['/ 21dbd100-6940-42c2-9190-5d6cb909625b', '/ 515eb02d-2335-4d2d-92f2-b1cbdf9c3778', '/ a290e904-7015-4bba-90c8-60543313cdb4', '/ b86a8fe4-44ce-4948-aee5-eccb2c155cd7']);
  });

  test('create at /keys/{name} (201), duplicate 409, get at its own scope only, filters, bad scopes 400', async () => {
    const name = randomUUID();
    const body = { properties: { roleDefinitionId: `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER}`, principalId: 'app-1' } };
    const created = await api.put(`//keys/k1/${P}/roleAssignments/${name}`, body);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.id, `/keys/k1/${P}/roleAssignments/${name}`);
    assert.equal(created.json.properties.scope, '/keys/k1');
    const duplicate = await api.put(`/keys/k1/${P}/roleAssignments/${randomUUID()}`, body);
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.json.error.code, 'RoleAssignmentExists');
    assert.equal((await api.get(`/keys/k1/${P}/roleAssignments/${name}`)).status, 200);
    assert.equal((await api.get(`/keys/k2/${P}/roleAssignments/${name}`)).json.error.code, 'RoleAssignmentNotFound');
    const atKeys = await api.get(`/keys/${P}/roleAssignments?$filter=atScope()`);
    assert.equal(atKeys.json.value.length, 0, 'none exactly at /keys');
    const below = await api.get(`/keys/${P}/roleAssignments`);
    assert.deepEqual(below.json.value.map((a: { name: string }) => a.name), [name], 'at /keys and below');
    for (const path of [`/certificates/${P}/roleAssignments/${randomUUID()}`, `/keys/bad_name/${P}/roleAssignments/${randomUUID()}`]) {
      assert.equal((await api.put(path, body)).status >= 400, true, path);
    }
    assert.equal((await api.put(`/${P}/roleAssignments/not-a-guid`, body)).status, 400);
    assert.equal((await api.put(`/${P}/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: randomUUID(), principalId: 'x' } })).status, 400);
    assert.equal((await api.get(`/${P}/roleAssignments?$filter=${encodeURIComponent('roleName eq 1')}`)).status, 400);
    assert.equal((await api.delete(`/keys/k1/${P}/roleAssignments/${name}`)).status, 200);
  });
});

describe('enforcement', () => {
  test('without Crypto User the administrator can sign only the key a custom role grants; refusals say nothing about keys', async () => {
    for (const key of ['granted', 'other']) assert.equal((await api.post(`/keys/${key}/create`, { kty: 'EC', crv: 'P-256' })).status, 200);
    const signer = randomUUID();
    const properties = { roleName: 'Signer', permissions: [{ dataActions: ['Microsoft.KeyVault/managedHsm/keys/*'], notDataActions: ['Microsoft.KeyVault/managedHsm/keys/delete'] }] };
    assert.equal((await api.put(`/${P}/roleDefinitions/${signer}`, { properties })).status, 201);
    assert.equal((await api.put(`/keys/granted/${P}/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: signer, principalId: admin } })).status, 201);
    const mine = await api.get(`/${P}/roleAssignments?$filter=${encodeURIComponent(`atScope() and principalId eq '${admin}'`)}`);
    const cryptoUser = mine.json.value.find((a: { properties: { roleDefinitionId: string } }) => a.properties.roleDefinitionId.endsWith(CRYPTO_USER));
    assert.equal((await api.delete(`/${P}/roleAssignments/${cryptoUser.name}`)).status, 200);

    try {
      assert.equal((await api.post('/keys/granted/sign', { alg: 'ES256', value: digest })).status, 200);
      assert.equal((await api.get('/keys/granted')).status, 200);
      const refused = await api.post('/keys/other/sign', { alg: 'ES256', value: digest });
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error.code, 'Forbidden');
      assert.equal(refused.json.error.innererror.code, 'ForbiddenByRbac');
      assert.match(refused.json.error.message, /^Caller is not authorized to perform action on resource\./);
      assert.match(refused.json.error.message, /Action: 'Microsoft\.KeyVault\/managedHsm\/keys\/sign\/action'/);
      assert.match(refused.json.error.message, new RegExp(`oid=${admin}`));
      const missing = await api.get('/keys/no-such-key');
      assert.equal(missing.status, 403, 'a key one may not read cannot be told apart from a missing one');
      assert.equal((await api.get('/keys/other')).status, 403);
      assert.equal((await api.delete('/keys/granted')).status, 403, 'notDataActions removes delete');
      assert.equal((await api.post('/rng', { count: 8 })).status, 403);
      assert.equal((await api.get('/deletedkeys')).status, 200, 'Crypto Officer still reads deleted keys');
    } finally {
      // The administrator gives itself Crypto User back (it holds Administrator): effective at once on this node.
      const back = await api.put(`/${P}/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: CRYPTO_USER, principalId: admin } });
      assert.equal(back.status, 201);
    }
    assert.equal((await api.post('/keys/other/sign', { alg: 'ES256', value: digest })).status, 200);
    assert.equal((await api.post('/rng', { count: 8 })).status, 200);
  });
});
