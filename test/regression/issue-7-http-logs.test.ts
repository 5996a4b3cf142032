/**
 * Issue 7 (Medium #4): at `--log-level trace` a malformed HTTP request was logged with its raw bytes (Node's
 * `rawPacket` on `clientError`, which Fastify's logger printed as a byte array), so whole bearer tokens and
 * private JWK members reached stderr. Guards: at every level from trace to fatal, no log line carries a token,
 * a client secret, key material or a request body, in any encoding (text, the byte array pino prints for a
 * Buffer, base64, hex), whether the request was malformed HTTP, refused by Fastify, or valid.
 *
 * The server is started here rather than by the harness because the test reads the server's stderr.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient, request } from '../../harness/https-requests.ts';
import { rawExchange } from '../../harness/raw-https.ts';
import { loopbackLookup, projectRoot, type AdminCredentials, type TestServer } from '../../harness/server-process.ts';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

interface LoggedServer extends TestServer {
  child: ChildProcess;
  stderr(): string;
}

async function startLogged(level: string): Promise<LoggedServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-logs-'));
  const child = spawn(process.execPath, [join(projectRoot, 'src', 'main.ts'), 'serve', '--port', '0', '--data-dir', dataDir, '--workers', '1', '--log-level', level], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString('latin1'); });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on https:\/\/[^\s:]+:(\d+)\n/.exec(stdout);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
  });
  const ca = readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8');
  const credentials = JSON.parse(readFileSync(join(dataDir, 'admin-credentials.json'), 'utf8')) as AdminCredentials;
  const agent = new https.Agent({ ca, keepAlive: true, lookup: loopbackLookup });
  return {
    port, dataDir, ca, credentials, agent, child,
    url: (host = 'localhost') => `https://${host}:${port}`,
    stderr: () => stderr,
    stop: async () => {
      agent.destroy();
      if (child.exitCode !== null) return;
      await new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); });
    },
  };
}


/** The forms a secret could take in a log line: as text, as pino's byte array of a Buffer, base64, hex. */
function encodingsOf(secret: string): string[] {
  const bytes = Buffer.from(secret);
  return [secret, [...bytes].join(','), bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
}

function assertNotLogged(stderr: string, secrets: Record<string, string>): void {
  for (const [what, secret] of Object.entries(secrets)) {
    // Long secrets are checked by a 24-character piece too, since a log line could carry a truncated copy.
    for (const piece of new Set([secret, secret.slice(4, 28)])) {
      for (const form of encodingsOf(piece)) {
        assert.ok(!stderr.includes(form), `the log carries ${what} (as ${JSON.stringify(form.slice(0, 30))}...)`);
      }
    }
  }
}

const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const FORGED_TOKEN = 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJMT0dMRUFLTUFSS0VSIjoiZm9yZ2VkIn0.Zm9yZ2VkLXNpZ25hdHVyZS1Mb2dMZWFr';

/** Malformed and refused requests, each carrying a bearer token and a body with the private exponent `d`. */
function hostileRequests(token: string): Array<string | Buffer> {
  const body = JSON.stringify({ key: jwk });
  const auth = `Authorization: Bearer ${token}\r\n`;
  const json = `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  return [
    // Node's parser refuses these (clientError, where rawPacket holds the bytes read so far).
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}X-Big: ${'a'.repeat(20_000)}\r\n${json}\r\n${body}`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Length: 12x\r\n\r\n${body}`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}Transfer-Encoding: chunked\r\n${json}\r\n${body}`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}X-Nul: a\0b\r\n${json}\r\n${body}`,
    `BREW /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}${json}\r\n${body}`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}${json}\r\n${body}\r\nGARBAGE ${body}\r\n\r\n`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Length: 100000\r\n\r\n${body}`,
    // Fastify refuses these (bad URL, long parameter) or the service does (Expect, two Hosts, charset, bad JSON).
    `PUT /keys/%ff?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}${json}\r\n${body}`,
    `PUT /keys/${'x'.repeat(300)}?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}${json}\r\n${body}`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}Expect: bogus\r\n${json}\r\n${body}`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\nHost: other\r\n${auth}${json}\r\n${body}`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Type: application/json; charset=utf-16\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body) + 1}\r\n\r\n${body}}`,
    `PUT /keys/leak?api-version=7.6 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${FORGED_TOKEN}\r\n${json}\r\n${body}`,
  ];
}

const servers = new Map<string, LoggedServer>();
const tokens = new Map<string, string>();

before(async () => {
  const started = await Promise.all(LEVELS.map((level) => startLogged(level)));
  LEVELS.forEach((level, index) => { const server = started[index]; if (server !== undefined) servers.set(level, server); });
  await Promise.all(LEVELS.map(async (level) => {
    const server = servers.get(level);
    assert.ok(server !== undefined);
    const token = await accessToken(server);
    tokens.set(level, token);
    const api = apiClient(server, token);
    // Valid requests that carry every kind of secret: a JWK import, a key creation, a signature, a token request.
    assert.equal((await api.put('/keys/imported', { key: jwk })).status, 200);
    assert.equal((await api.post('/keys/created/create', { kty: 'EC', crv: 'P-256' })).status, 200);
    assert.equal((await api.post('/keys/imported/sign', { alg: 'RS256', value: Buffer.alloc(32, 1).toString('base64url') })).status, 200);
    assert.equal((await api.get('/keys/imported')).status, 200);
    await Promise.all(hostileRequests(token).map((raw) => rawExchange(server, raw, { waitMs: 1000 })));
    // And the same through a well-formed client, with a body that is not JSON and one that is too large.
    await request(server, { method: 'PUT', path: '/keys/leak?api-version=7.6', token, body: `{"key":${JSON.stringify(jwk)}` });
    await request(server, { method: 'PUT', path: '/keys/leak?api-version=7.6', token, body: { key: jwk, pad: 'p'.repeat(300 * 1024) } });
  }));
  // Stopping flushes the logs.
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

after(() => {
  for (const server of servers.values()) rmSync(server.dataDir, { recursive: true, force: true });
});

describe('no secret reaches the log, at any level', () => {
  for (const level of LEVELS) {
    test(`--log-level ${level}: no token, client secret, private JWK member or body in stderr`, () => {
      const server = servers.get(level);
      const token = tokens.get(level);
      assert.ok(server !== undefined && token !== undefined);
      const stderr = server.stderr();
      assertNotLogged(stderr, {
        'the bearer token': token,
        'a forged bearer token': FORGED_TOKEN,
        'the client secret': server.credentials.clientSecret,
        ...Object.fromEntries((['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).map((member) => [`the JWK member ${member}`, String(jwk[member])])),
      });
    });
  }

  test('at trace and debug the refused requests are still logged (their error codes, not their bytes)', () => {
    for (const level of ['trace', 'debug']) {
      const stderr = servers.get(level)?.stderr() ?? '';
      assert.match(stderr, /HPE_HEADER_OVERFLOW/, `${level}: the header overflow is not logged`);
      assert.match(stderr, /HPE_INVALID_METHOD/, `${level}: the invalid method is not logged`);
    }
  });
});
