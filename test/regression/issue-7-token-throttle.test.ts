/**
 * Issue 7 (High): the token endpoint had no throttle. It needs no token and each guess cost ~110 ms of scrypt on
 * the libuv pool that RSA signing uses, so 10–15 guesses a second made an RSA-3072 sign take over half a second.
 * Against the real service: repeated wrong secrets for one client id are answered 429 with `Retry-After` and the
 * OAuth error body, while another client still signs in; a flood of guesses is cut off (429/503, never more than
 * the failure budget of 401s). The per-address budget and the window arithmetic are unit-tested on a fake clock
 * (test/unit/identity/login-throttle.test.ts), since every test request comes from 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { request, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { ADDRESS_FAILURES, CLIENT_FAILURES } from '../../src/domain/identity/login-throttle.ts';

function login(server: TestServer, clientId: string, clientSecret: string): Promise<RawResponse> {
  return request(server, {
    method: 'POST',
    path: `/${server.credentials.tenantId}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'https://localhost/.default',
    }).toString(),
  });
}

function assertThrottledAnswer(response: RawResponse, status: 429 | 503): void {
  assert.equal(response.status, status, response.text);
  const retryAfter = String(response.headers['retry-after']);
  assert.match(retryAfter, /^\d+$/);
  assert.ok(Number(retryAfter) >= 1);
  assert.equal(response.json.error, 'temporarily_unavailable');
  assert.match(response.json.error_description, /^AADSTS\d+: /);
  assert.ok(Array.isArray(response.json.error_codes) && typeof response.json.error_codes[0] === 'number');
  assert.ok(!Number.isNaN(Date.parse(response.json.timestamp)));
  assert.equal(typeof response.json.trace_id, 'string');
  assert.equal(typeof response.json.correlation_id, 'string');
  assert.equal(response.json.access_token, undefined);
}

/**
 * Guesses wrong secrets for `clientId` one after another until the first refusal. The server's clock is real,
 * and refills a failure a second while we guess (each guess hashes for ~110 ms), so what holds whatever the
 * machine's speed is the bucket law: failures admitted ≤ burst + refill × elapsed.
 */
async function guessUntilRefused(server: TestServer, clientId: string): Promise<{ failures: number; refusal: RawResponse }> {
  const started = performance.now();
  for (let failures = 0; failures <= 3 * CLIENT_FAILURES.burst; failures += 1) {
    const response = await login(server, clientId, `guess-${failures}`);
    if (response.status !== 401) {
      const allowed = CLIENT_FAILURES.burst + Math.ceil(((performance.now() - started) / 1000) * CLIENT_FAILURES.refillPerSecond);
      assert.ok(failures >= CLIENT_FAILURES.burst && failures <= allowed, `${failures} failures admitted, at most ${allowed} allowed`);
      return { failures, refusal: response };
    }
    assert.equal(response.json.error, 'invalid_client');
  }
  assert.fail(`still no refusal after ${3 * CLIENT_FAILURES.burst} wrong secrets`);
}

describe('wrong secrets for one client id', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(async () => { await disposeServer(server); });

  test(`are answered 401 about ${CLIENT_FAILURES.burst} times, then 429 with Retry-After and the OAuth error body`, async () => {
    const { refusal } = await guessUntilRefused(server, randomUUID());
    assertThrottledAnswer(refusal, 429);
  });

  test('do not lock out another client: the administrator still gets a token', async () => {
    const { refusal } = await guessUntilRefused(server, randomUUID());
    assert.equal(refusal.status, 429);
    const { clientId, clientSecret } = server.credentials;
    const response = await login(server, clientId, clientSecret);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.token_type, 'Bearer');
  });
});

describe('a flood of concurrent guesses', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(async () => { await disposeServer(server); });

  test(`gets at most the address's ${ADDRESS_FAILURES.burst} failures hashed; the rest are refused at once`, async () => {
    const guesses = ADDRESS_FAILURES.burst + 20;
    const responses = await Promise.all(Array.from({ length: guesses }, () => login(server, randomUUID(), 'guess')));
    const unauthorized = responses.filter((response) => response.status === 401);
    const refused = responses.filter((response) => response.status !== 401);
    assert.ok(unauthorized.length <= ADDRESS_FAILURES.burst, `${unauthorized.length} guesses were hashed`);
    assert.ok(refused.length >= guesses - ADDRESS_FAILURES.burst);
    for (const response of refused) assertThrottledAnswer(response, response.status === 503 ? 503 : 429);
  });
});
