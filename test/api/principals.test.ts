/**
 * Issue 10: service principals beyond the first administrator, and what roles let them do, driven by the real
 * `@azure/keyvault-keys` SDK with each principal's own ClientSecretCredential:
 *   - a new principal can log in but do nothing until a role is assigned (deny by default);
 *   - as Crypto User of one key it uses that key and cannot see another;
 *   - as Crypto Auditor it reads and cannot sign; as Crypto Service Encryption User it wraps and unwraps only;
 *   - a secret reset makes the old secret and every token issued before it answer 401; so does a deletion.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import { makeCustodians, type Custodian } from '../../harness/custodians.ts';
import { accessToken, apiClient, request } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

const P = 'providers/Microsoft.Authorization/roleAssignments';
const ROLES = {
  cryptoUser: '21dbd100-6940-42c2-9190-5d6cb909625b',
  auditor: '2c18b078-7c48-4d3a-af88-5a3a1b3f82b3',
  encryptionUser: '33413926-3206-4cdd-b39a-83574fe37a17',
} as const;

interface Credentials { tenantId: string; clientId: string; clientSecret: string; authorityHost: string }

let server: TestServer;
let admin: ReturnType<typeof apiClient>;

before(async () => {
  server = await startServer();
  admin = apiClient(server, await accessToken(server));
  for (const name of ['mine', 'theirs']) assert.equal((await admin.post(`/keys/${name}/create`, { kty: 'RSA', key_size: 2048 })).status, 200);
});
after(async () => { await disposeServer(server); });

async function newPrincipal(displayName: string): Promise<Credentials> {
  const created = await admin.post('/principals', { displayName });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.displayName, displayName);
  assert.equal(created.json.credentials.authorityHost, server.url());
  return created.json.credentials as Credentials;
}

async function assign(principalId: string, role: string, scope: string): Promise<void> {
  const prefix = scope === '/' ? '' : scope;
  const response = await admin.put(`${prefix}/${P}/${randomUUID()}`, { properties: { roleDefinitionId: role, principalId } });
  assert.equal(response.status, 201, response.text);
}

function clientsOf(credentials: Credentials) {
  const credential = new ClientSecretCredential(credentials.tenantId, credentials.clientId, credentials.clientSecret, { authorityHost: credentials.authorityHost, disableInstanceDiscovery: true, agent: server.agent } as never);
  const options = { agent: server.agent, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } } as never;
  return { keys: new KeyClient(server.url(), credential, options), crypto: (kid: string) => new CryptographyClient(kid, credential, options) };
}

const tokenFor = async (credentials: Credentials) => {
  const response = await request(server, {
    method: 'POST',
    path: `/${credentials.tenantId}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret, scope: 'https://localhost/.default' }).toString(),
  });
  return response;
};

describe('principals', () => {
  test('create, list, show; a principal cannot delete itself; unknown ids are 404 PrincipalNotFound', async () => {
    const app = await newPrincipal('lister');
    const list = await admin.get('/principals');
    assert.ok(list.json.value.some((p: { id: string }) => p.id === app.clientId));
    assert.equal(JSON.stringify(list.json).includes(app.clientSecret), false, 'no secret in a listing');
    assert.equal((await admin.get(`/principals/${app.clientId}`)).json.displayName, 'lister');
    assert.equal((await admin.get(`/principals/${randomUUID()}`)).json.error.code, 'PrincipalNotFound');
    assert.equal((await admin.delete(`/principals/${server.credentials.clientId}`)).status, 400);
    assert.equal((await admin.post('/principals', { displayName: '' })).status, 400);
  });

  test('a new principal logs in, and can do nothing until a role is assigned', async () => {
    const app = await newPrincipal('nobody');
    const api = apiClient(server, (await tokenFor(app)).json.access_token);
    assert.equal((await api.get('/keys')).status, 403);
    assert.equal((await api.get('/keys/mine')).status, 403);
    assert.equal((await api.post('/principals', { displayName: 'escalation' })).status, 403);
  });
});

describe('roles through the SDK', () => {
  test('Crypto User of one key: uses it, cannot see or use another', async () => {
    const app = await newPrincipal('key user');
    await assign(app.clientId, ROLES.cryptoUser, '/keys/mine');
    const { keys, crypto } = clientsOf(app);
    const mine = await keys.getKey('mine');
    const signed = await crypto(mine.id ?? '').sign('RS256', randomBytes(32));
    assert.equal(signed.result.length, 256);
    await assert.rejects(keys.getKey('theirs'), { statusCode: 403, code: 'Forbidden' });
    await assert.rejects(crypto((await admin.get('/keys/theirs')).json.key.kid).sign('RS256', randomBytes(32)), { statusCode: 403 });
    await assert.rejects(async () => { for await (const _key of keys.listPropertiesOfKeys()) void _key; }, { statusCode: 403 }, 'listing is at /keys');
  });

  test('Crypto Auditor reads and cannot sign; Crypto Service Encryption User wraps and unwraps only', async () => {
    const auditor = await newPrincipal('auditor');
    await assign(auditor.clientId, ROLES.auditor, '/');
    const asAuditor = clientsOf(auditor);
    const key = await asAuditor.keys.getKey('theirs');
    const names: string[] = [];
    for await (const properties of asAuditor.keys.listPropertiesOfKeys()) names.push(properties.name);
    assert.deepEqual(names.sort(), ['mine', 'theirs']);
    await assert.rejects(asAuditor.crypto(key.id ?? '').sign('RS256', randomBytes(32)), { statusCode: 403 });
    await assert.rejects(asAuditor.keys.createRsaKey('auditor-made'), { statusCode: 403 });

    const service = await newPrincipal('storage service');
    await assign(service.clientId, ROLES.encryptionUser, '/keys');
    const asService = clientsOf(service);
    const cek = randomBytes(32);
    const wrapped = await asService.crypto(key.id ?? '').wrapKey('RSA-OAEP-256', cek);
    const unwrapped = await asService.crypto(key.id ?? '').unwrapKey('RSA-OAEP-256', wrapped.result);
    assert.deepEqual(Buffer.from(unwrapped.result), cek);
    await assert.rejects(asService.crypto(key.id ?? '').encrypt('RSA-OAEP-256', cek), { statusCode: 403 });
    await assert.rejects(asService.crypto(key.id ?? '').sign('RS256', randomBytes(32)), { statusCode: 403 });
  });
});

describe('revocation', () => {
  test('a secret reset: the old secret gets no token, tokens issued before answer 401 at once', async () => {
    const app = await newPrincipal('rotating');
    await assign(app.clientId, ROLES.auditor, '/');
    const before = apiClient(server, (await tokenFor(app)).json.access_token);
    assert.equal((await before.get('/keys/mine')).status, 200);
    const reset = await admin.post(`/principals/${app.clientId}/resetsecret`);
    assert.equal(reset.status, 200, reset.text);
    assert.notEqual(reset.json.credentials.clientSecret, app.clientSecret);
    assert.equal((await tokenFor(app)).status, 401, 'the old secret');
    assert.equal((await before.get('/keys/mine')).status, 401, 'a token of the old secret');
    const after = apiClient(server, (await tokenFor(reset.json.credentials)).json.access_token);
    assert.equal((await after.get('/keys/mine')).status, 200, 'the new secret works, with the same roles');
  });

  test('a deletion: tokens answer 401, and the principal\'s role assignments are gone with it', async () => {
    const app = await newPrincipal('leaving');
    await assign(app.clientId, ROLES.auditor, '/');
    const api = apiClient(server, (await tokenFor(app)).json.access_token);
    assert.equal((await api.get('/keys/mine')).status, 200);
    assert.equal((await admin.delete(`/principals/${app.clientId}`)).status, 200);
    assert.equal((await api.get('/keys/mine')).status, 401);
    assert.equal((await tokenFor(app)).status, 401);
    const left = await admin.get(`/${P}?$filter=${encodeURIComponent(`principalId eq '${app.clientId}'`)}`);
    assert.deepEqual(left.json.value, []);
  });
});

describe('certificate principals', () => {
  test('ClientCertificateCredential signs in with the certificate\'s key; another key, a reset or a replayed assertion do not', async () => {
    const custodians = makeCustodians(2);
    try {
      const [mine, other] = custodians.members as [Custodian, Custodian];
      const created = await admin.post('/principals', { displayName: 'cert app', certificate: mine.certificatePem });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json.credentials.clientSecret, undefined, 'a certificate principal gets no secret');
      assert.match(created.json.certificateThumbprint, /^[A-Za-z0-9_-]{43}$/);
      const { tenantId, clientId } = created.json.credentials as Credentials;
      await assign(clientId, ROLES.auditor, '/');
      const pemFile = join(custodians.dir, 'mine.pem');
      writeFileSync(pemFile, `${mine.certificatePem}\n${readFileSync(mine.keyFile, 'utf8')}`, { mode: 0o600 });
      const options = { authorityHost: server.url(), disableInstanceDiscovery: true, agent: server.agent } as never;
      const clientOptions = { agent: server.agent, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } } as never;
      for (const sendCertificateChain of [false, true]) {
        const credential = new ClientCertificateCredential(tenantId, clientId, { certificatePath: pemFile }, { ...(options as object), sendCertificateChain } as never);
        const key = await new KeyClient(server.url(), credential, clientOptions).getKey('mine');
        assert.equal(key.name, 'mine', `sendCertificateChain ${sendCertificateChain}`);
      }
      const otherFile = join(custodians.dir, 'other.pem');
      writeFileSync(otherFile, `${mine.certificatePem}\n${readFileSync(other.keyFile, 'utf8')}`, { mode: 0o600 });
      const impostor = new ClientCertificateCredential(tenantId, clientId, { certificatePath: otherFile }, options);
      await assert.rejects(impostor.getToken('https://localhost/.default'));
      assert.equal((await admin.post(`/principals/${clientId}/resetsecret`)).status, 400, 'a certificate principal has no secret');
      assert.equal((await tokenFor({ tenantId, clientId, clientSecret: 'guess', authorityHost: server.url() })).status, 401, 'nor does a secret work');
    } finally {
      custodians.close();
    }
  });
});
