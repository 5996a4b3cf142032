/**
 * Who may do what with secrets: Key Vault's two built-in secrets roles as the service lists them, the first
 * administrator's Secrets Officer role (also given, once, to the administrator of an instance made before
 * secrets existed), and a Secrets User who reads values and metadata but changes nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { accessToken, apiClient, principalToken } from '../../harness/https-requests.ts';
import { disposeServer, startServer, temporaryDataDir, type TestServer } from '../../harness/server-process.ts';

const P = 'providers/Microsoft.Authorization';
const OFFICER = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7';
const USER = '4633458b-17de-408a-b874-0445c86b69e6';
const S = 'Microsoft.KeyVault/vaults/secrets';

let server: TestServer;
let api: ReturnType<typeof apiClient>;

before(async () => {
  server = await startServer();
  api = apiClient(server, await accessToken(server));
});
after(async () => { await disposeServer(server); });

async function rolesOf(client: ReturnType<typeof apiClient>, principalId: string): Promise<string[]> {
  const mine = await client.get(`/${P}/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${principalId}'`)}`);
  assert.equal(mine.status, 200, mine.text);
  return mine.json.value.map((a: { properties: { roleDefinitionId: string; scope: string } }) => `${a.properties.scope} ${a.properties.roleDefinitionId.split('/').at(-1)}`).sort();
}

test("Key Vault's two secrets roles are built in, with the data actions of their Azure definitions", async () => {
  for (const [guid, roleName, dataActions] of [
    [OFFICER, 'Key Vault Secrets Officer', [`${S}/*`]],
    [USER, 'Key Vault Secrets User', [`${S}/getSecret/action`, `${S}/readMetadata/action`]],
  ] as const) {
    const role = await api.get(`/${P}/roleDefinitions/${guid}`);
    assert.equal(role.status, 200, role.text);
    assert.equal(role.json.properties.roleName, roleName);
    assert.equal(role.json.properties.type, 'AKVBuiltInRole');
    assert.deepEqual(role.json.properties.permissions[0].dataActions, dataActions);
  }
  const reused = await api.put(`/${P}/roleDefinitions/${OFFICER}`, { properties: { roleName: 'x', type: 'CustomRole', permissions: [{ dataActions: [] }], assignableScopes: ['/'] } });
  assert.equal(reused.status, 400);
});

test('the first administrator holds Secrets Officer at / besides its three Managed HSM roles', async () => {
  assert.ok((await rolesOf(api, server.credentials.clientId)).includes(`/ ${OFFICER}`));
});

test('a Secrets User reads values and metadata; setting, updating, deleting, backing up are refused by RBAC', async () => {
  assert.equal((await api.put('/secrets/shared', { value: 'readable' })).status, 200);
  const created = await api.post('/principals', { displayName: 'secrets reader' });
  const { clientId, clientSecret, tenantId } = created.json.credentials;
  assert.equal((await api.put(`/${P}/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: USER, principalId: clientId } })).status, 201);
  const reader = apiClient(server, await principalToken(server, { tenantId, clientId, clientSecret }));
  assert.equal((await reader.get('/secrets/shared')).json.value, 'readable');
  assert.equal((await reader.get('/secrets')).status, 200);
  assert.equal((await reader.get('/secrets/shared/versions')).status, 200);
  for (const response of [
    await reader.put('/secrets/shared', { value: 'overwritten' }),
    await reader.patch('/secrets/shared', { tags: { a: 'b' } }),
    await reader.delete('/secrets/shared'),
    await reader.post('/secrets/shared/backup'),
    await reader.get('/keys'),
  ]) {
    assert.equal(response.status, 403, response.text);
    assert.equal(response.json.error.innererror.code, 'ForbiddenByRbac');
  }
  assert.equal((await api.get('/secrets/shared')).json.value, 'readable');
});

test('a Secrets User assigned at /secrets/{name} reads that secret only; a bad secret scope is 400', async () => {
  assert.equal((await api.put('/secrets/scoped-one', { value: 'one' })).status, 200);
  assert.equal((await api.put('/secrets/scoped-two', { value: 'two' })).status, 200);
  const created = await api.post('/principals', { displayName: 'one-secret reader' });
  const { clientId, clientSecret, tenantId } = created.json.credentials;
  const name = randomUUID();
  const assigned = await api.put(`//secrets/scoped-one/${P}/roleAssignments/${name}`, { properties: { roleDefinitionId: USER, principalId: clientId } });
  assert.equal(assigned.status, 201, assigned.text);
  assert.equal(assigned.json.properties.scope, '/secrets/scoped-one');
  assert.equal((await api.get(`/secrets/scoped-one/${P}/roleAssignments/${name}`)).status, 200);
  assert.equal((await api.put(`/secrets/bad_name/${P}/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: USER, principalId: clientId } })).status, 400);
  const reader = apiClient(server, await principalToken(server, { tenantId, clientId, clientSecret }));
  assert.equal((await reader.get('/secrets/scoped-one')).json.value, 'one');
  const other = await reader.get('/secrets/scoped-two');
  assert.equal(other.status, 403, other.text);
  assert.equal(other.json.error.innererror.code, 'ForbiddenByRbac');
});

test('an instance made before secrets: its administrator gets Secrets Officer once, and a removal sticks', async () => {
  const dataDir = temporaryDataDir();
  try {
    const first = await startServer({ dataDir, store: 'sqlite' });
    const admin = first.credentials.clientId;
    await first.stop();
    // What a data directory of the previous release holds: the first roles assigned, no Officer, no marker for it.
    const db = new DatabaseSync(join(dataDir, 'strongroom.db'));
    db.prepare('DELETE FROM role_assignments WHERE role_definition = ?').run(OFFICER);
    db.prepare("DELETE FROM settings WHERE name = 'rbac.first-administrator-secrets-officer'").run();
    db.close();

    const second = await startServer({ dataDir, store: 'sqlite' });
    const secondApi = apiClient(second, await accessToken(second));
    const roles = await rolesOf(secondApi, admin);
    assert.ok(roles.includes(`/ ${OFFICER}`), roles.join(', '));
    assert.equal(roles.length, 4);
    const officer = (await secondApi.get(`/${P}/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${admin}'`)}`)).json.value
      .find((a: { properties: { roleDefinitionId: string } }) => a.properties.roleDefinitionId.endsWith(OFFICER));
    assert.equal((await secondApi.delete(`/${P}/roleAssignments/${officer.name}`)).status, 200);
    await second.stop();

    const third = await startServer({ dataDir, store: 'sqlite' });
    const thirdApi = apiClient(third, await accessToken(third));
    assert.ok(!(await rolesOf(thirdApi, admin)).includes(`/ ${OFFICER}`), 'the removal sticks');
    assert.equal((await thirdApi.put('/secrets/denied', { value: 'x' })).status, 403);
    await third.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
