/**
 * Issue 7 (Low #7): 122 answers bypassed the Key Vault envelope and the hardening headers: Fastify's own
 * bodies for bad percent-encoding (echoing the URL) and parameters over the length limit (414), Node's bare
 * `Client Error` for malformed framing, unknown methods and a NUL in a header, its 431 for oversized headers,
 * its empty 400 for a missing Host and its empty 417 for `Expect: bogus`. Guards: every answer the service gives
 * to a malformed request is the envelope, with `x-ms-request-id` and the hardening headers, and repeats nothing
 * of the request. Raw TLS sockets, since no HTTP client sends these bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accessToken } from '../../harness/https-requests.ts';
import { parseRawAnswer, rawExchange, type RawAnswer } from '../../harness/raw-https.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';


/** One answer to raw bytes on a fresh TLS connection (complete at its Content-Length, the close, or 2 s). */
async function exchange(server: TestServer, bytes: string | Buffer): Promise<RawAnswer> {
  return parseRawAnswer(await rawExchange(server, bytes, { waitMs: 2000, untilComplete: true }));
}

/** The envelope, the request id, the hardening headers, and none of `echoed` anywhere in the answer. */
function assertEnvelope(answer: RawAnswer, status: number, code: string, echoed: string[] = []): void {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8', answer.text);
  assert.match(answer.headers['x-ms-request-id'] ?? '', /^[0-9a-f-]{36}$/, answer.text);
  assert.equal(answer.headers['x-content-type-options'], 'nosniff', answer.text);
  assert.match(answer.headers['strict-transport-security'] ?? '', /^max-age=\d+/, answer.text);
  assert.equal(answer.headers['cache-control'], 'no-cache', answer.text);
  const body = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(body.error?.code, code, answer.text);
  assert.equal(typeof body.error?.message, 'string', answer.text);
  for (const input of echoed) assert.ok(!answer.text.includes(input), `the answer repeats ${JSON.stringify(input.slice(0, 40))}: ${answer.text}`);
}

let server: TestServer;
let token: string;

before(async () => {
  server = await startServer();
  token = await accessToken(server);
});

after(async () => { await disposeServer(server); });

const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n${headers}\r\n`;

describe('paths the router refuses', () => {
  for (const path of ['/keys/%ff', '/keys/%zz', '/keys/%C0%AF', '/keys/k%/versions', '/keys/%E2%82']) {
    test(`bad percent-encoding (${path}) is 400 BadParameter, the path not repeated`, async () => {
      assertEnvelope(await exchange(server, get(`${path}?api-version=7.6`)), 400, 'BadParameter', [path, 'FST_ERR']);
    });
  }

  test('a name over the parameter length limit is 400 BadParameter, the name not repeated', async () => {
    const name = 'n'.repeat(300);
    assertEnvelope(await exchange(server, get(`/keys/${name}?api-version=7.6`)), 400, 'BadParameter', [name.slice(0, 100), 'FST_ERR']);
  });
});

describe('requests Node\'s HTTP parser refuses', () => {
  const body = '{"kty":"EC","marker":"ECHO-MARKER"}';
  const cases: Array<[string, string, number, string]> = [
    ['headers over the size limit', `GET /keys HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'ECHO-MARKER'.repeat(2000)}\r\n\r\n`, 431, 'RequestHeaderFieldsTooLarge'],
    ['a Content-Length that is not a number', `POST /keys/k/create HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1x\r\n\r\n${body}`, 400, 'BadParameter'],
    ['Content-Length and Transfer-Encoding together', `POST /keys/k/create HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, 400, 'BadParameter'],
    ['a malformed chunk size', `POST /keys/k/create HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`, 400, 'BadParameter'],
    ['two Content-Lengths that disagree', `POST /keys/k/create HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n${body}`, 400, 'BadParameter'],
    ['an unknown method', 'BREW /keys HTTP/1.1\r\nHost: localhost\r\n\r\n', 400, 'BadParameter'],
    ['a NUL in a header value', 'GET /keys HTTP/1.1\r\nHost: localhost\r\nX-Marker: ECHO\0MARKER\r\n\r\n', 400, 'BadParameter'],
    ['a space before the colon of a header', 'GET /keys HTTP/1.1\r\nHost : localhost\r\n\r\n', 400, 'BadParameter'],
    ['a request line that is not HTTP', 'ECHO-MARKER\r\n\r\n', 400, 'BadParameter'],
    ['an unknown HTTP version', 'GET /keys HTTP/7.2\r\nHost: localhost\r\n\r\n', 400, 'BadParameter'],
    ['a bare LF line ending in the headers', 'GET /keys HTTP/1.1\nHost: localhost\nX-Marker: ECHO-MARKER\n\n', 400, 'BadParameter'],
  ];
  for (const [what, bytes, status, code] of cases) {
    test(`${what}: ${status} ${code}, and the connection is closed`, async () => {
      const answer = await exchange(server, bytes);
      assertEnvelope(answer, status, code, ['ECHO-MARKER', 'Client Error', 'BREW']);
      assert.equal(answer.headers['connection'], 'close');
    });
  }
});

describe('bad bytes after a good request on the same connection', () => {
  test('the good request gets its own answer, with Connection: close, and nothing else is written', async () => {
    const first = get('/keys?api-version=7.6');
    const answer = await exchange(server, `${first}BREW ECHO-MARKER HTTP/1.1\r\n\r\n`);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers['connection'], 'close', answer.text);
    assert.equal(answer.text.match(/HTTP\/1\.1 /g)?.length, 1, answer.text);
  });

  test('a body sent without a length is not answered in place of the request before it', async () => {
    const answer = await exchange(server, `${get('/keys/nosuchkey?api-version=7.6')}{"d":"ECHO-MARKER"}`);
    assert.equal(answer.status, 404, answer.text);
    assert.equal(JSON.parse(answer.body).error.code, 'KeyNotFound');
  });
});

describe('answers Node gave by itself', () => {
  test('a missing Host is 400 BadParameter in the envelope', async () => {
    assertEnvelope(await exchange(server, 'GET /keys?api-version=7.6 HTTP/1.1\r\n\r\n'), 400, 'BadParameter');
  });

  test('Expect: bogus is 417 ExpectationFailed in the envelope', async () => {
    assertEnvelope(await exchange(server, get('/keys?api-version=7.6', 'Expect: ECHO-MARKER\r\n')), 417, 'ExpectationFailed', ['ECHO-MARKER']);
  });

  test('CONNECT is 400 BadParameter in the envelope', async () => {
    assertEnvelope(await exchange(server, 'CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n'), 400, 'BadParameter', ['localhost:443']);
  });

  test('after all of it the service answers as before', async () => {
    const answer = await exchange(server, get('/keys?api-version=7.6'));
    assert.equal(answer.status, 200, answer.text);
  });
});
