/**
 * Issue 10: managed identity. `POST /principals` with `managedIdentity: true` answers the `identityEndpoint` and
 * `identityHeader` an operator sets as IDENTITY_ENDPOINT and IDENTITY_HEADER; the real `ManagedIdentityCredential`
 * and `DefaultAzureCredential` of `@azure/identity`, in an application process with no secret in its code, then
 * get Strongroom tokens and use the keys the principal's roles allow. A forged header, or one from before a secret
 * reset, gets nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { accessToken, apiClient, request } from '../../harness/https-requests.ts';
import { disposeServer, projectRoot, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let admin: ReturnType<typeof apiClient>;
let identity: { identityEndpoint: string; identityHeader: string };
let principalId = '';

before(async () => {
  server = await startServer();
  admin = apiClient(server, await accessToken(server));
  assert.equal((await admin.post('/keys/app-key/create', { kty: 'EC', crv: 'P-256' })).status, 200);
  const created = await admin.post('/principals', { displayName: 'web app', managedIdentity: true });
  assert.equal(created.status, 201, created.text);
  identity = created.json.managedIdentity;
  principalId = created.json.id;
  assert.equal(identity.identityEndpoint, `${server.url()}/msi/token`);
  const auditor = '2c18b078-7c48-4d3a-af88-5a3a1b3f82b3';
  assert.equal((await admin.put(`/keys/app-key/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: auditor, principalId } })).status, 201);
});
after(async () => { await disposeServer(server); });

function runApplication(header: string): Record<string, string> {
  const caFile = join(server.dataDir, 'tls', 'ca.pem');
  const result = spawnSync(process.execPath, [join(projectRoot, 'test', 'fixtures', 'scripts', 'managed-identity-client.ts'), server.url(), 'app-key'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', NODE_EXTRA_CA_CERTS: caFile, IDENTITY_ENDPOINT: identity.identityEndpoint, IDENTITY_HEADER: header },
  });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, string>;
}

test('ManagedIdentityCredential and DefaultAzureCredential get tokens with the identity header alone', () => {
  const results = runApplication(identity.identityHeader);
  assert.match(results['ManagedIdentityCredential'] ?? '', new RegExp(`^${server.url()}/keys/app-key/[0-9a-f]{32}$`), JSON.stringify(results));
  assert.match(results['DefaultAzureCredential'] ?? '', new RegExp(`^${server.url()}/keys/app-key/`), JSON.stringify(results));
});

test('the endpoint refuses a forged header, a missing one, and a bad api-version', async () => {
  const get = (path: string, headers: Record<string, string> = {}) => request(server, { method: 'GET', path, headers });
  const ok = await get('/msi/token?resource=https://localhost&api-version=2019-08-01', { 'x-identity-header': identity.identityHeader });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.token_type, 'Bearer');
  assert.equal(ok.json.client_id, principalId);
  assert.match(ok.json.expires_on, /^\d+$/);
  const forged = identity.identityHeader.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  assert.equal((await get('/msi/token?resource=https://localhost&api-version=2019-08-01', { 'x-identity-header': forged })).status, 401);
  assert.equal((await get('/msi/token?resource=https://localhost&api-version=2019-08-01')).status, 401);
  assert.equal((await get('/msi/token?resource=https://localhost&api-version=2017-09-01', { 'x-identity-header': identity.identityHeader })).status, 400);
});

test('a secret reset revokes the old identity header and gives a new one', async () => {
  const reset = await admin.post(`/principals/${principalId}/resetsecret`, { managedIdentity: true });
  assert.equal(reset.status, 200);
  const old = await request(server, { method: 'GET', path: '/msi/token?resource=https://localhost&api-version=2019-08-01', headers: { 'x-identity-header': identity.identityHeader } });
  assert.equal(old.status, 401);
  const renewed = await request(server, { method: 'GET', path: '/msi/token?resource=https://localhost&api-version=2019-08-01', headers: { 'x-identity-header': reset.json.managedIdentity.identityHeader } });
  assert.equal(renewed.status, 200);
});

test('deleting the principal revokes its identity header', async () => {
  const created = await admin.post('/principals', { displayName: 'short-lived app', managedIdentity: true });
  const header = created.json.managedIdentity.identityHeader as string;
  const path = '/msi/token?resource=https://localhost&api-version=2019-08-01';
  assert.equal((await request(server, { method: 'GET', path, headers: { 'x-identity-header': header } })).status, 200);
  assert.equal((await admin.delete(`/principals/${created.json.id}`)).status, 200);
  assert.equal((await request(server, { method: 'GET', path, headers: { 'x-identity-header': header } })).status, 401);
});
