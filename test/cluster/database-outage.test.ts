/**
 * A node that loses its database: `/healthz` says so (503, for the load balancer), every write is answered 503
 * `ServiceUnavailable` in the Key Vault envelope with `Retry-After` and is not stored, and when the database
 * returns the node recovers by itself, with nothing half-written. `/healthz` needs no token and no api-version.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessToken, apiClient, request } from '../../harness/https-requests.ts';
import { startPostgres, type OwnedPostgres } from '../../harness/postgres.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';

let postgres: OwnedPostgres;
let server: StartedServer;

before(async () => {
  postgres = await startPostgres();
  server = await startServer({ store: { postgres: (await postgres.createDatabase()).url } });
});
after(async () => {
  await disposeServer(server);
  await postgres.close();
});

test('/healthz answers without a token: healthy while the store answers', async () => {
  const response = await request(server, { path: '/healthz' });
  assert.equal(response.status, 200);
  assert.deepEqual(response.json, { status: 'healthy', store: 'reachable', keyMaterial: 'unlocked' });
  assert.equal(response.headers['retry-after'], undefined, 'a healthy answer carries no Retry-After');
});

test('without its database a node refuses writes with 503 + Retry-After, and recovers by itself', async () => {
  const api = apiClient(server, await accessToken(server));
  assert.equal((await api.post('/keys/before/create', { kty: 'EC' })).status, 200);
  await postgres.stop();
  try {
    const health = await request(server, { path: '/healthz' });
    assert.equal(health.status, 503);
    assert.equal(health.json.store, 'unreachable');
    assert.equal(health.headers['retry-after'], '5');
    const refused = await api.post('/keys/during/create', { kty: 'EC' });
    assert.equal(refused.status, 503);
    assert.equal(refused.json.error.code, 'ServiceUnavailable');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.ok(!refused.text.includes('127.0.0.1'), 'the message names no database host');
    const update = await api.patch('/keys/before', { tags: { lost: 'yes' } });
    assert.equal(update.status, 503);
  } finally {
    await postgres.start();
  }
  let health = 503;
  for (let attempt = 0; attempt < 50 && health !== 200; attempt++) {
    health = (await request(server, { path: '/healthz' })).status;
    if (health !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(health, 200, 'healthy again once the database is back');
  assert.equal((await api.post('/keys/after/create', { kty: 'EC' })).status, 200);
  assert.equal((await api.get('/keys/during')).status, 404, 'the refused create left nothing');
  assert.equal((await api.get('/keys/before')).json.tags, undefined, 'the refused update left nothing');
});
