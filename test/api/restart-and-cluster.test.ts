/**
 * What is stored survives a restart on the same data directory (keys, versions, attributes, deleted keys, the
 * identity, the token-signing key), and the service works the same with several worker processes.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { keyClientFor } from '../helpers/sdk.ts';
import { disposeServer, startServer, temporaryDataDir } from '../../harness/server-process.ts';

test('keys, versions and deleted keys are all there after a restart', async () => {
  const dataDir = temporaryDataDir();
  try {
    const first = await startServer({ dataDir });
    const token = await accessToken(first);
    let api = apiClient(first, token);
    const v1 = (await api.post('/keys/durable/create', { kty: 'RSA', key_size: 2048, tags: { n: '1' } })).json;
    const v2 = (await api.post('/keys/durable/create', { kty: 'EC', crv: 'P-384' })).json;
    await api.patch(`/keys/durable/${v1.key.kid.split('/').pop()}`, { attributes: { enabled: false } });
    await api.post('/keys/to-delete/create', { kty: 'oct-HSM', key_size: 128 });
    const deleted = (await api.delete('/keys/to-delete')).json;
    const before = {
      keys: (await api.get('/keys')).json,
      versions: (await api.get('/keys/durable/versions')).json,
      latest: (await api.get('/keys/durable')).json,
      deleted: (await api.get('/deletedkeys/to-delete')).json,
    };
    await first.stop();

    const second = await startServer({ dataDir });
    assert.deepEqual(second.credentials, { ...first.credentials, authorityHost: `https://localhost:${second.port}` });
    assert.equal(second.ca, first.ca);
    api = apiClient(second, token);
    const origin = (value: unknown) => JSON.stringify(value).replaceAll(`localhost:${first.port}`, `localhost:${second.port}`);
    // The token issued before the restart is still valid: the signing key is part of the stored identity.
    assert.equal(origin((await api.get('/keys')).json), origin(before.keys));
    assert.equal(origin((await api.get('/keys/durable/versions')).json), origin(before.versions));
    assert.equal(origin((await api.get('/keys/durable')).json), origin(before.latest));
    assert.equal((await api.get('/keys/durable')).json.key.kid.split('/').pop(), v2.key.kid.split('/').pop());
    assert.equal(origin((await api.get('/deletedkeys/to-delete')).json), origin(before.deleted));
    assert.equal((await api.post('/deletedkeys/to-delete/recover')).json.key.kid.split('/').pop(), deleted.key.kid.split('/').pop());
    await second.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('with two worker processes every request is served the same', async () => {
  const server = await startServer({ workers: 2 });
  try {
    const client = keyClientFor(server, 'cluster.vault.localhost');
    const created = await Promise.all(Array.from({ length: 8 }, (_, i) => client.createEcKey(`clustered-${i}`, { curve: 'P-256' })));
    // Each fetch may land on either worker; all see every key at once.
    for (let round = 0; round < 3; round++) {
      const fetched = await Promise.all(created.map((key) => client.getKey(key.name)));
      assert.deepEqual(fetched.map((key) => key.properties.version), created.map((key) => key.properties.version));
    }
    await client.updateKeyProperties('clustered-0', created[0]?.properties.version ?? '', { enabled: false });
    for (let round = 0; round < 4; round++) assert.equal((await client.getKey('clustered-0')).properties.enabled, false);
    // An operation refused on one worker is refused on every worker from the moment the update is answered.
    const api = apiClient(server, await accessToken(server, 'https://vault.localhost'));
    const digest = Buffer.alloc(32, 1).toString('base64url');
    const signs = await Promise.all(Array.from({ length: 16 }, () =>
      api.post('/keys/clustered-0/sign', { alg: 'ES256', value: digest }, { host: 'cluster.vault.localhost' })));
    assert.deepEqual(signs.map((response) => response.status), Array.from({ length: 16 }, () => 403));
  } finally {
    await disposeServer(server);
  }
});
