/**
 * Issue 10: tokens of a company's own identity provider, trusted with `--trust-issuer` (OpenID discovery + JWKS,
 * a local issuer started here). The principal is the token's `oid` (else `sub`); role assignments name it like
 * any other, and deny by default applies. Key rollover is followed; a token of another issuer, for another
 * audience, expired, unsigned (`alg: none`) or signed by a key the issuer does not publish is 401.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { startOidcIssuer, type TestIssuer } from '../../harness/oidc-issuer.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let idp: TestIssuer;
let server: TestServer;
const AUDITOR = '2c18b078-7c48-4d3a-af88-5a3a1b3f82b3';

before(async () => {
  idp = await startOidcIssuer();
  server = await startServer({ args: ['--trust-issuer', idp.issuer], env: { NODE_EXTRA_CA_CERTS: idp.caFile } });
  const admin = apiClient(server, await accessToken(server));
  assert.equal((await admin.post('/keys/shared/create', { kty: 'EC', crv: 'P-256' })).status, 200);
  const assigned = await admin.put(`/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: AUDITOR, principalId: 'employee-oid-1' } });
  assert.equal(assigned.status, 201);
});
after(async () => {
  await disposeServer(server);
  await idp.close();
});

const as = (token: string) => apiClient(server, token);

test('a token of the trusted issuer: its oid holds the roles assigned to it, nothing more', async () => {
  const token = await idp.sign({ oid: 'employee-oid-1', sub: 'pairwise-subject', aud: 'https://localhost', tid: 'company' });
  assert.equal((await as(token).get('/keys/shared')).status, 200);
  assert.equal((await as(token).post('/keys/shared/sign', { alg: 'ES256', value: Buffer.alloc(32).toString('base64url') })).status, 403);
  const stranger = await idp.sign({ sub: 'someone-else', aud: 'https://localhost' });
  assert.equal((await as(stranger).get('/keys/shared')).status, 403, 'a principal without roles (sub, no oid) is denied');
});

test("a token whose oid is one of our own principals' ids is refused: the issuer cannot mint the administrator", async () => {
  const admin = server.credentials.clientId;
  for (const claims of [{ oid: admin }, { sub: admin }]) {
    const token = await idp.sign({ ...claims, aud: 'https://localhost' });
    const response = await as(token).post('/keys/impersonated/create', { kty: 'EC', crv: 'P-256' });
    // Before, this was the administrator's own call (200), audited as the administrator.
    assert.equal(response.status, 401, JSON.stringify(claims));
    assert.equal(response.json.error.code, 'Unauthorized');
  }
  const adminToken = apiClient(server, await accessToken(server));
  assert.equal((await adminToken.get('/keys/impersonated')).status, 404, 'nothing was made');
});

test('key rollover: a token signed by the new key is accepted once the refetch cooldown (5 s) allows', async () => {
  idp.rotate();
  const token = await idp.sign({ oid: 'employee-oid-1', aud: 'https://localhost' });
  const started = Date.now();
  let status = 0;
  while (status !== 200) {
    assert.ok(Date.now() - started < 8_000, `the new key is picked up within the cooldown (last answer ${status})`);
    status = (await as(token).get('/keys/shared')).status;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

test('another issuer, another audience, expired, alg none, an unpublished key: 401', async () => {
  const wrongAudience = await idp.sign({ oid: 'employee-oid-1', aud: 'https://vault.azure.net' });
  const expired = await idp.sign({ oid: 'employee-oid-1', aud: 'https://localhost' }, { expiresIn: '-10m' });
  const otherIssuer = await idp.sign({ oid: 'employee-oid-1', aud: 'https://localhost' }, { issuer: 'https://evil.example/realms/test' });
  const unsigned = new UnsecuredJWT({ oid: 'employee-oid-1', aud: 'https://localhost' }).setIssuer(idp.issuer).setExpirationTime('5m').encode();
  const forged = await new SignJWT({ oid: 'employee-oid-1', aud: 'https://localhost' })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key-2' })
    .setIssuer(idp.issuer)
    .setExpirationTime('5m')
    .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
  for (const [what, token] of [['audience', wrongAudience], ['expired', expired], ['issuer', otherIssuer], ['none', unsigned], ['forged', forged]] as const) {
    const response = await as(token).get('/keys/shared');
    assert.equal(response.status, 401, what);
    assert.equal(response.json.error.code, 'Unauthorized', what);
  }
});
