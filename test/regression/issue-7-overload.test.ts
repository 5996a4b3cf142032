/**
 * Issue 7 (Medium #5): no load shedding. 2,000 connections of RSA-4096 signs were all queued: p50 9.2 s, p99
 * 22 s, resident memory up 170 MB and not returned. Guards the bounds that fix it (no timings asserted here;
 * `npm run bench` measures the overload row):
 *   - past the in-flight limit (set to 2 here) a request is answered at once 503 ServiceUnavailable with
 *     Retry-After in the envelope, before any of its work is done (a refused key creation creates nothing);
 *     nothing else 5xx; the identity endpoints shed in their OAuth form; and the service answers afterwards;
 *   - connections past the connection limit are closed, the ones within it are served;
 *   - a request not received completely within the request timeout is answered 408 RequestTimeout.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient, request, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, loopbackLookup, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let token: string;
/** One connection per request, so that concurrent requests really are concurrent. */
let freshConnections: https.Agent;

before(async () => {
  server = await startServer({ env: { STRONGROOM_MAX_IN_FLIGHT: '2' } });
  token = await accessToken(server);
  freshConnections = new https.Agent({ ca: server.ca, keepAlive: false, lookup: loopbackLookup });
});

after(async () => {
  freshConnections.destroy();
  await disposeServer(server);
});

function concurrently(path: string, body: object, method = 'POST'): Promise<RawResponse> {
  return request({ ...server, agent: freshConnections }, { method, path: `${path}?api-version=7.6`, token, body });
}

function assertShed(response: RawResponse): void {
  assert.equal(response.status, 503, response.text);
  assert.match(String(response.headers['retry-after']), /^[1-9]\d*$/);
  assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
  assert.match(String(response.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(response.json?.error?.code, 'ServiceUnavailable', response.text);
}

describe('past the in-flight limit', () => {
  test('slow requests beyond the limit are answered 503 with Retry-After at once, and their work is not done', async () => {
    const names = Array.from({ length: 12 }, (_, index) => `rsa4096-${index}`);
    const creates = names.map((name) => concurrently(`/keys/${name}/create`, { kty: 'RSA', key_size: 4096 }));
    // Meanwhile, an identity request: shed in the OAuth form if it arrives while the limit is reached.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const tokenResponse = await request({ ...server, agent: freshConnections }, {
      method: 'POST',
      path: `/${server.credentials.tenantId}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials', client_id: server.credentials.clientId, client_secret: server.credentials.clientSecret, scope: 'https://localhost/.default',
      }).toString(),
    });
    const responses = await Promise.all(creates);
    const statuses = responses.map((response) => response.status);
    assert.ok(statuses.every((status) => status === 200 || status === 503), statuses.join(','));
    assert.ok(statuses.includes(503), `nothing was shed: ${statuses.join(',')}`);
    assert.ok(statuses.includes(200), `nothing was served: ${statuses.join(',')}`);
    for (const response of responses.filter((candidate) => candidate.status === 503)) assertShed(response);

    assert.ok([200, 503].includes(tokenResponse.status), tokenResponse.text);
    if (tokenResponse.status === 503) {
      assert.equal(tokenResponse.json.error, 'temporarily_unavailable');
      assert.match(String(tokenResponse.headers['retry-after']), /^[1-9]\d*$/);
    }

    // A refused creation created nothing; a served one is there.
    const api = apiClient(server, token);
    for (const [index, name] of names.entries()) {
      const stored = await api.get(`/keys/${name}`);
      assert.equal(stored.status, statuses[index] === 200 ? 200 : 404, `${name}: created ${statuses[index]}, read ${stored.status}`);
    }
  });

  test('signatures and reads beyond the limit: only 200 or 503, and the service answers afterwards', async () => {
    const api = apiClient(server, token);
    assert.equal((await api.post('/keys/signer/create', { kty: 'EC', crv: 'P-384' })).status, 200);
    const digest = Buffer.alloc(48, 7).toString('base64url');
    const responses = await Promise.all([
      ...Array.from({ length: 24 }, () => concurrently('/keys/signer/sign', { alg: 'ES384', value: digest })),
      ...Array.from({ length: 8 }, () => request({ ...server, agent: freshConnections }, { path: '/keys/signer?api-version=7.6', token })),
    ]);
    for (const response of responses) {
      if (response.status === 503) assertShed(response);
      else assert.equal(response.status, 200, response.text);
    }
    assert.equal((await api.get('/keys')).status, 200);
    assert.equal((await api.post('/keys/signer/sign', { alg: 'ES384', value: digest })).status, 200);
  });
});

describe('connection limit and request deadline', () => {
  let limited: TestServer;

  before(async () => {
    limited = await startServer({ env: { STRONGROOM_MAX_CONNECTIONS: '3', STRONGROOM_REQUEST_TIMEOUT: '1' } });
  });

  after(async () => { await disposeServer(limited); });

  const open = (): Promise<TLSSocket | undefined> =>
    new Promise((resolve) => {
      const socket = connect({ port: limited.port, host: '127.0.0.1', ca: limited.ca, servername: 'localhost' });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', () => resolve(undefined));
      socket.once('close', () => resolve(undefined));
    });

  test('connections past the limit are closed; those within it are served', async () => {
    const sockets = await Promise.all(Array.from({ length: 8 }, open));
    const established = sockets.filter((socket): socket is TLSSocket => socket !== undefined);
    assert.ok(established.length <= 3, `${established.length} connections were accepted`);
    assert.ok(established.length >= 1);
    const first = established[0];
    assert.ok(first !== undefined);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      first.on('data', (chunk: Buffer) => { text += chunk.toString(); if (text.includes('\r\n\r\n')) resolve(text); });
      first.write('GET /keys HTTP/1.1\r\nHost: localhost\r\n\r\n');
    });
    assert.match(answer, /^HTTP\/1\.1 401 /);
    for (const socket of established) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await request(limited, { path: '/keys?api-version=7.6' })).status, 401);
  });

  test('a request not received completely within the request timeout is 408 RequestTimeout in the envelope', async () => {
    const socket = await open();
    assert.ok(socket !== undefined);
    let text = '';
    socket.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    socket.write('POST /keys/slow/create?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n');
    const giveUp = setTimeout(() => socket.destroy(), 10_000);
    await new Promise((resolve) => socket.once('close', resolve));
    clearTimeout(giveUp);
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /x-ms-request-id: [0-9a-f-]{36}/);
    assert.match(text, /"code":"RequestTimeout"/);
  });
});
