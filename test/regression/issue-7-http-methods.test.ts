/**
 * Issue 7 (Info #12, methods and charset): a wrong method on an existing path was answered 404 NotFound,
 * although 405 MethodNotAllowed is documented; and a body declared `application/json; charset=utf-16` was
 * parsed as UTF-8. Guards: 405 MethodNotAllowed with an `Allow` header listing the methods the path is served
 * with; 404 NotFound still for paths and operations that do not exist; 415 UnsupportedMediaType for any charset
 * other than UTF-8 (case-insensitive, quoted or not; none given means UTF-8).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient, request, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let token: string;
let api: ReturnType<typeof apiClient>;

before(async () => {
  server = await startServer();
  token = await accessToken(server);
  api = apiClient(server, token);
  assert.equal((await api.post('/keys/existing/create', { kty: 'EC', crv: 'P-256' })).status, 200);
});

after(async () => { await disposeServer(server); });

function assertError(response: RawResponse, status: number, code: string): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(response.json?.error?.code, code, response.text);
  assert.match(String(response.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/);
}

const call = (method: string, path: string, body?: object) =>
  request(server, { method, path: `${path}${path.includes('?') ? '&' : '?'}api-version=7.6`, token, ...(body === undefined ? {} : { body }) });

describe('a wrong method on an existing path', () => {
  const cases: Array<[string, string, string]> = [
    ['DELETE', '/keys', 'GET, HEAD'],
    ['POST', '/deletedkeys', 'GET, HEAD'],
    ['PUT', '/keys/existing/create', 'GET, HEAD, PATCH, POST'],
    ['GET', '/keys/existing/0123456789abcdef0123456789abcdef/sign', 'POST'],
    ['DELETE', '/keys/existing/0123456789abcdef0123456789abcdef/sign', 'POST'],
    ['GET', '/rng', 'POST'],
    ['POST', '/keys/existing', 'DELETE, GET, HEAD, PATCH, PUT'],
    ['DELETE', '/keys/existing/0123456789abcdef0123456789abcdef', 'GET, HEAD, PATCH'],
    ['PATCH', '/deletedkeys/existing', 'DELETE, GET, HEAD'],
    ['GET', '/deletedkeys/existing/recover', 'POST'],
    ['OPTIONS', '/keys', 'GET, HEAD'],
  ];
  for (const [method, path, allow] of cases) {
    test(`${method} ${path} is 405 MethodNotAllowed, Allow: ${allow}`, async () => {
      const response = await call(method, path);
      assertError(response, 405, 'MethodNotAllowed');
      assert.equal(response.headers['allow'], allow);
    });
  }

  test('the token endpoint with GET is 405, Allow: POST (for an authenticated caller; others get the challenge first)', async () => {
    const response = await request(server, { method: 'GET', path: `/${server.credentials.tenantId}/oauth2/v2.0/token?api-version=7.6`, token });
    assertError(response, 405, 'MethodNotAllowed');
    assert.equal(response.headers['allow'], 'POST');
  });

  test('paths and operations that do not exist are still 404 NotFound', async () => {
    assertError(await call('GET', '/no/such/operation'), 404, 'NotFound');
    assertError(await call('POST', '/keys/existing/levitate'), 404, 'NotFound');
    assertError(await call('POST', '/keys/existing/0123456789abcdef0123456789abcdef/levitate'), 404, 'NotFound');
    assertError(await call('GET', '/keys/existing/0123456789abcdef0123456789abcdef/sign/extra'), 404, 'NotFound');
  });

  test('405 and 404 answers do not repeat the path', async () => {
    for (const response of [await call('DELETE', '/keys/existing/ECHOMARKER1'), await call('GET', '/ECHOMARKER2/nothing')]) {
      assert.doesNotMatch(response.text, /ECHOMARKER/);
    }
  });
});

describe('JSON bodies must be UTF-8', () => {
  const body = JSON.stringify({ kty: 'EC', crv: 'P-256' });
  for (const contentType of ['application/json; charset=utf-16', 'application/json; charset=UTF-16LE', 'application/json;charset=iso-8859-1', 'application/json; charset="utf-32"', 'application/json; charset=utf-8; charset=utf-16']) {
    test(`Content-Type: ${contentType} is 415 UnsupportedMediaType`, async () => {
      const response = await request(server, { method: 'POST', path: '/keys/charset/create?api-version=7.6', token, body, headers: { 'content-type': contentType } });
      assertError(response, 415, 'UnsupportedMediaType');
    });
  }

  test('a UTF-16 body declared as such is refused, not decoded as UTF-8', async () => {
    const utf16 = Buffer.from(`\ufeff${body}`, 'utf16le');
    const response = await request(server, { method: 'POST', path: '/keys/charset/create?api-version=7.6', token, body: utf16, headers: { 'content-type': 'application/json; charset=utf-16' } });
    assertError(response, 415, 'UnsupportedMediaType');
    assertError(await api.get('/keys/charset'), 404, 'KeyNotFound');
  });

  for (const contentType of ['application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json;charset="utf-8"']) {
    test(`Content-Type: ${contentType} is accepted`, async () => {
      const response = await request(server, { method: 'GET', path: '/keys/existing?api-version=7.6', token });
      assert.equal(response.status, 200);
      const updated = await request(server, { method: 'PATCH', path: '/keys/existing?api-version=7.6', token, body: JSON.stringify({ tags: { ct: 'ok' } }), headers: { 'content-type': contentType } });
      assert.equal(updated.status, 200, updated.text);
    });
  }
});
