/**
 * Issue 7 (Info #11): a request with two `Host` headers, or with an absolute-form target naming another host
 * than its Host header, was accepted (with a valid token, served for the first Host). RFC 9112 §3.2 wants 400,
 * and everything the service derives from the host (token audience, challenge, key ids) must not be ambiguous.
 * Guards: both are 400 BadParameter in the envelope, before authentication; one Host, or an absolute form that
 * agrees with it, is served as usual.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accessToken } from '../../harness/https-requests.ts';
import { rawExchange } from '../../harness/raw-https.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

/** One request on a fresh TLS connection (`Connection: close`), the whole answer as text. */
function exchange(server: TestServer, head: string): Promise<string> {
  return rawExchange(server, `${head}Connection: close\r\n\r\n`);
}

function statusAndBody(text: string): { status: number; body: { error?: { code?: string; message?: string } } } {
  const end = text.indexOf('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), body: JSON.parse(text.slice(end + 4) || '{}') };
}

let server: TestServer;
let token: string;

before(async () => {
  server = await startServer();
  token = await accessToken(server);
});

after(async () => { await disposeServer(server); });

const authorized = () => `Authorization: Bearer ${token}\r\n`;

describe('the host a request names must be unambiguous', () => {
  test('two Host headers are 400 BadParameter, even with a valid token for the first', async () => {
    for (const second of ['evil.example', 'localhost']) {
      const text = await exchange(server, `GET /keys?api-version=7.6 HTTP/1.1\r\nHost: localhost:${server.port}\r\nHost: ${second}\r\n${authorized()}`);
      const { status, body } = statusAndBody(text);
      assert.equal(status, 400, text);
      assert.equal(body.error?.code, 'BadParameter', text);
      assert.ok(!text.includes('evil.example'), text);
    }
  });

  test('an absolute-form target naming another host is 400 BadParameter', async () => {
    const text = await exchange(server, `GET https://evil.example/keys?api-version=7.6 HTTP/1.1\r\nHost: localhost:${server.port}\r\n${authorized()}`);
    const { status, body } = statusAndBody(text);
    assert.equal(status, 400, text);
    assert.equal(body.error?.code, 'BadParameter', text);
  });

  test('two Host headers are refused before authentication too (no challenge for an ambiguous host)', async () => {
    const text = await exchange(server, `GET /keys?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n`);
    assert.equal(statusAndBody(text).status, 400, text);
    assert.doesNotMatch(text, /www-authenticate/i);
  });

  test('one Host, or an absolute form that agrees with it, is served', async () => {
    for (const target of ['/keys?api-version=7.6', `https://localhost:${server.port}/keys?api-version=7.6`, `https://LOCALHOST:${server.port}/keys?api-version=7.6`]) {
      const text = await exchange(server, `GET ${target} HTTP/1.1\r\nHost: localhost:${server.port}\r\n${authorized()}`);
      assert.equal(statusAndBody(text).status, 200, `${target}: ${text}`);
    }
  });
});
