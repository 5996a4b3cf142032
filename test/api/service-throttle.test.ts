/**
 * Issue 12: `--throttle keyvault`. Past a class's budget in a window the service answers 429 `Throttled` with
 * `Retry-After` and Key Vault's text, the real KeyClient's retry policy waits and then succeeds, and operations
 * are weighted by key type (after one RSA-4096 signature, a budget of four RSA-2048 units is spent).
 *
 * Budgets (scale 0.002): key creates 0.02 (one per window), operations on keys 4 units, the vault 8 units.
 * Windows are 3 s; a test that needs two requests in one window retries when a window boundary fell between them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KeyClient } from '@azure/keyvault-keys';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { accessToken, apiClient, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { credentialFor } from '../helpers/sdk.ts';

let server: TestServer;
let api: ReturnType<typeof apiClient>;
const digest = Buffer.alloc(32, 7).toString('base64url');

before(async () => {
  server = await startServer({ args: ['--throttle', 'keyvault', '--throttle-scale', '0.002', '--throttle-window-seconds', '3'] });
  api = apiClient(server, await accessToken(server));
});
after(async () => { await disposeServer(server); });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends until admitted, waiting what Retry-After says. */
async function admitted(send: () => Promise<RawResponse>): Promise<RawResponse> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const response = await send();
    if (response.status !== 429) return response;
    await sleep(Number(response.headers['retry-after']) * 1000);
  }
  throw new Error('never admitted');
}

/** Runs `first` then `second` until both fall into one window (second answered 429), or fails after 4 tries. */
async function refusedInSameWindow(first: () => Promise<RawResponse>, second: () => Promise<RawResponse>): Promise<RawResponse> {
  for (let attempt = 0; attempt < 4; attempt++) {
    assert.equal((await admitted(first)).status, 200);
    const refused = await second();
    if (refused.status === 429) return refused;
    assert.equal(refused.status, 200, refused.text);
  }
  throw new Error('the second request was never refused');
}

test('a create past the window\'s budget is answered 429 Throttled with Retry-After and Key Vault\'s text', async () => {
  let n = 0;
  const create = () => api.post(`/keys/throttled-${n++}/create`, { kty: 'EC-HSM', crv: 'P-256' });
  const refused = await refusedInSameWindow(create, create);
  const retryAfter = Number(refused.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3, `Retry-After ${refused.headers['retry-after']}`);
  assert.deepEqual(refused.json, {
    error: { code: 'Throttled', message: 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached' },
  });
  // Other classes have their own budgets: listing keys still works.
  assert.equal((await api.get('/keys')).status, 200);
});

test('KeyClient retries a throttled request after Retry-After and then succeeds', async () => {
  const statuses: number[] = [];
  const recorder: PipelinePolicy = {
    name: 'record-statuses',
    async sendRequest(request, next) {
      const response = await next(request);
      statuses.push(response.status);
      return response;
    },
  };
  const client = new KeyClient(server.url('localhost'), credentialFor(server), {
    agent: server.agent,
    disableChallengeResourceVerification: true,
    additionalPolicies: [{ policy: recorder, position: 'perRetry' }],
  });
  // One create per window: the second (and third) must wait for the next window.
  const keys = [];
  for (const name of ['sdk-throttled-1', 'sdk-throttled-2', 'sdk-throttled-3']) keys.push(await client.createEcKey(name, { curve: 'P-256' }));
  assert.deepEqual(keys.map((key) => key.name), ['sdk-throttled-1', 'sdk-throttled-2', 'sdk-throttled-3']);
  assert.ok(statuses.includes(429), `the SDK saw ${statuses.join(', ')}`);
  assert.equal(statuses.at(-1), 200);
});

test('operations are weighted by key type: one RSA-4096 signature spends four RSA-2048-units at once', async () => {
  assert.equal((await admitted(() => api.post('/keys/big-rsa/create', { kty: 'RSA-HSM', key_size: 4096 }))).status, 200);
  assert.equal((await admitted(() => api.post('/keys/small-ec/create', { kty: 'EC-HSM', crv: 'P-256' }))).status, 200);
  const refused = await refusedInSameWindow(
    () => api.post('/keys/big-rsa//sign', { alg: 'RS256', value: digest }),
    () => api.post('/keys/small-ec//sign', { alg: 'ES256', value: digest }),
  );
  assert.equal(refused.json.error.code, 'Throttled');
  // Without the RSA-4096 signature, a window holds four EC signatures, and the fifth waits.
  await sleep(3000 - (Date.now() % 3000) + 50);
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await api.post('/keys/small-ec//sign', { alg: 'ES256', value: digest })).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
});
