/**
 * The authentication surface over raw HTTPS: the 401 challenge (its exact header, before any body is read),
 * bearer-token checks, the OpenID discovery document, the JWKS and the token endpoint's OAuth errors.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, importJWK, jwtVerify, SignJWT } from 'jose';
import { accessToken, apiClient, request } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await disposeServer(server); });

const tokenPath = () => `/${server.credentials.tenantId}/oauth2/v2.0/token`;
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  path: tokenPath(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('the challenge', () => {
  test('a request without a token gets 401 with the WWW-Authenticate challenge and the envelope', async () => {
    const response = await request(server, { method: 'POST', path: '/keys/k1/create?api-version=7.6', headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 401);
    assert.equal(
      response.headers['www-authenticate'],
      `Bearer authorization="https://localhost:${server.port}/${server.credentials.tenantId}", resource="https://localhost"`,
    );
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(response.json, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer, PoP, or MTLS_POP token.' } });
  });

  for (const [host, resource] of [
    ['myvault.vault.localhost', 'https://vault.localhost'],
    ['hsm1.managedhsm.localhost', 'https://managedhsm.localhost'],
    ['127.0.0.1', 'https://127.0.0.1'],
  ] as const) {
    test(`the resource on ${host} is ${resource}`, async () => {
      const response = await request(server, { path: '/keys?api-version=7.6', host });
      assert.equal(response.status, 401);
      assert.equal(
        response.headers['www-authenticate'],
        `Bearer authorization="https://${host}:${server.port}/${server.credentials.tenantId}", resource="${resource}"`,
      );
    });
  }

  test('comes before the body is read: malformed or oversized bodies still get 401', async () => {
    const malformed = await request(server, { method: 'POST', path: '/keys/k1/create?api-version=7.6', body: '{"kty":' });
    assert.equal(malformed.status, 401);
    const oversized = await request(server, { method: 'POST', path: '/keys/k1/create?api-version=7.6', body: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(oversized.status, 401);
  });

  test('comes before routing and api-version checks', async () => {
    assert.equal((await request(server, { path: '/no/such/thing' })).status, 401);
    assert.equal((await request(server, { path: '/keys?api-version=1.0' })).status, 401);
  });
});

describe('bearer tokens', () => {
  test('a token for this host works; the SDK-style percent-encoded api-version name is understood', async () => {
    const token = await accessToken(server);
    const response = await request(server, { path: '/keys?api%2Dversion=2025-07-01', token });
    assert.equal(response.status, 200);
    assert.ok(typeof response.headers['x-ms-request-id'] === 'string');
  });

  test('echoes x-ms-client-request-id', async () => {
    const token = await accessToken(server);
    const response = await request(server, { path: '/keys?api-version=7.6', token, headers: { 'x-ms-client-request-id': 'abc-123' } });
    assert.equal(response.headers['x-ms-client-request-id'], 'abc-123');
  });

  test('a garbage token is refused with the challenge and error="invalid_token"', async () => {
    const response = await request(server, { path: '/keys?api-version=7.6', token: 'not.a.token' });
    assert.equal(response.status, 401);
    assert.equal(response.json.error.code, 'Unauthorized');
    assert.match(String(response.headers['www-authenticate']), /error="invalid_token"$/);
  });

  test('a token issued for another resource is refused', async () => {
    const vaultToken = await accessToken(server, 'https://vault.localhost');
    assert.equal((await request(server, { path: '/keys?api-version=7.6', token: vaultToken })).status, 401);
    assert.equal((await request(server, { path: '/keys?api-version=7.6', token: vaultToken, host: 'other.vault.localhost' })).status, 200);
  });

  test('a token signed by anyone else, or altered, is refused', async () => {
    const genuine = await accessToken(server);
    const claims = decodeJwt(genuine);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256' })
      .sign(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    assert.equal((await request(server, { path: '/keys?api-version=7.6', token: forged })).status, 401);

    const [header, , signature] = genuine.split('.');
    const altered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${signature}`;
    assert.equal((await request(server, { path: '/keys?api-version=7.6', token: altered })).status, 401);

    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${genuine.split('.')[1]}.`;
    assert.equal((await request(server, { path: '/keys?api-version=7.6', token: unsigned })).status, 401);
  });
});

describe('api-version', () => {
  test('is required', async () => {
    const token = await accessToken(server);
    const response = await request(server, { path: '/keys', token });
    assert.equal(response.status, 400);
    assert.equal(response.json.error.code, 'BadParameter');
  });

  test('an unknown version is refused and the message names the latest', async () => {
    const token = await accessToken(server);
    const response = await request(server, { path: '/keys?api-version=2099-01-01', token });
    assert.equal(response.status, 400);
    assert.match(response.json.error.message, /The specified version \(2099-01-01\) is not recognized/);
  });

  test('every version the current SDKs send is accepted', async () => {
    const token = await accessToken(server);
    for (const version of ['7.4', '7.5', '7.6-preview.2', '7.6', '2025-06-01-preview', '2025-07-01', '2026-01-01-preview', '2026-03-01-preview', '2026-04-01', '2026-05-01-preview', '2026-07-01-preview']) {
      assert.equal((await apiClient(server, token, version).get('/keys')).status, 200, version);
    }
  });
});

describe('identity endpoints', () => {
  test('discovery names this host as issuer, and the JWKS verifies issued tokens', async () => {
    const discovery = await request(server, { path: `/${server.credentials.tenantId}/v2.0/.well-known/openid-configuration` });
    assert.equal(discovery.status, 200);
    const issuer = `https://localhost:${server.port}/${server.credentials.tenantId}/v2.0`;
    assert.equal(discovery.json.issuer, issuer);
    assert.equal(discovery.json.token_endpoint, `https://localhost:${server.port}${tokenPath()}`);

    const jwks = await request(server, { path: new URL(discovery.json.jwks_uri).pathname });
    const token = await accessToken(server);
    const key = await importJWK(jwks.json.keys[0], 'ES256');
    const { payload } = await jwtVerify(token, key, { issuer, audience: 'https://localhost' });
    assert.equal(payload.sub, server.credentials.clientId);
    assert.ok((payload.exp ?? 0) - (payload.iat ?? 0) <= 3600);
  });

  test('client secret may come as HTTP Basic credentials', async () => {
    const { clientId, clientSecret } = server.credentials;
    const response = await request(server, {
      ...form({ grant_type: 'client_credentials', scope: 'https://localhost/.default' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
    });
    assert.equal(response.status, 200);
    assert.equal(response.json.token_type, 'Bearer');
  });

  for (const [what, fields, status, error] of [
    ['a wrong secret', (s: TestServer) => ({ client_id: s.credentials.clientId, client_secret: 'wrong' }), 401, 'invalid_client'],
    ['an unknown client', () => ({ client_id: '00000000-0000-0000-0000-000000000000', client_secret: 'x' }), 401, 'invalid_client'],
    ['another grant type', (s: TestServer) => ({ client_id: s.credentials.clientId, client_secret: s.credentials.clientSecret, grant_type: 'password' }), 400, 'unsupported_grant_type'],
    ['a scope without /.default', (s: TestServer) => ({ client_id: s.credentials.clientId, client_secret: s.credentials.clientSecret, scope: 'https://localhost' }), 400, 'invalid_scope'],
  ] as const) {
    test(`${what} gets the OAuth error body with ${status} ${error}`, async () => {
      const response = await request(server, form({ grant_type: 'client_credentials', scope: 'https://localhost/.default', ...fields(server) }));
      assert.equal(response.status, status);
      assert.equal(response.json.error, error);
      assert.match(response.json.error_description, /^AADSTS\d+: /);
      assert.equal(response.json.access_token, undefined);
    });
  }

  test('discovery and the JWKS of an unknown tenant are refused with the OAuth error body', async () => {
    for (const path of ['/11111111-1111-1111-1111-111111111111/v2.0/.well-known/openid-configuration', '/11111111-1111-1111-1111-111111111111/discovery/v2.0/keys']) {
      const response = await request(server, { path });
      assert.equal(response.status, 400, path);
      assert.equal(response.json.error, 'invalid_request');
    }
  });

  test('an unknown tenant is refused', async () => {
    const response = await request(server, { ...form({ grant_type: 'client_credentials' }), path: '/11111111-1111-1111-1111-111111111111/oauth2/v2.0/token' });
    assert.equal(response.status, 400);
    assert.equal(response.json.error, 'invalid_request');
  });
});
