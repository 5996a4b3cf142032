/**
 * Object limits over real HTTPS (docs/limits.md#object-limits): `--max-keys` and `--max-versions-per-key` on
 * Managed HSM's model, `--limits cloudhsm` with its handle arithmetic, and Managed HSM's default of 50 custom
 * role definitions. Each refusal is 409 in the Key Vault envelope, `Conflict` with inner `QuotaExceeded`,
 * naming the limit and its value; create, import and restore count; a soft-deleted key counts until purged.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let managed: TestServer;
let cloud: TestServer;
let api: ReturnType<typeof apiClient>;
let cloudApi: ReturnType<typeof apiClient>;

before(async () => {
  [managed, cloud] = await Promise.all([
    startServer({ args: ['--max-keys', '2', '--max-versions-per-key', '2'] }),
    startServer({ args: ['--limits', 'cloudhsm', '--max-keys', '5'] }),
  ]);
  api = apiClient(managed, await accessToken(managed));
  cloudApi = apiClient(cloud, await accessToken(cloud));
});
after(async () => {
  await Promise.all([disposeServer(managed), disposeServer(cloud)]);
});

function assertQuota(response: { status: number; text: string; json: any }, message: RegExp): void {
  assert.equal(response.status, 409, response.text);
  assert.deepEqual(Object.keys(response.json), ['error']);
  assert.equal(response.json.error.code, 'Conflict');
  assert.equal(response.json.error.innererror?.code, 'QuotaExceeded');
  assert.match(response.json.error.message, message);
}

describe("Managed HSM's model", () => {
  test('keys: create and import past --max-keys are 409; a deleted key counts until purged; restore counts', async () => {
    assert.equal((await api.post('/keys/one/create', { kty: 'EC' })).status, 200);
    assert.equal((await api.put('/keys/two', { key: { kty: 'oct-HSM', k: Buffer.alloc(32, 1).toString('base64url') } })).status, 200);
    assertQuota(await api.post('/keys/three/create', { kty: 'EC' }), /^The number of keys \(2\) in this HSM has reached its limit/);
    assertQuota(await api.put('/keys/three', { key: { kty: 'oct-HSM', k: Buffer.alloc(32, 2).toString('base64url') } }), /keys \(2\)/);
    const backup = (await api.post('/keys/two/backup')).json.value as string;
    assert.equal((await api.delete('/keys/two')).status, 200);
    assertQuota(await api.post('/keys/three/create', { kty: 'EC' }), /keys \(2\)/);
    assert.equal((await api.delete('/deletedkeys/two')).status, 204);
    assert.equal((await api.post('/keys/three/create', { kty: 'EC' })).status, 200);
    assertQuota(await api.post('/keys/restore', { value: backup }), /keys \(2\)/);
    assert.equal((await api.get('/keys/two')).status, 404, 'a refused restore stores nothing');
  });

  test('versions: the version past --max-versions-per-key is 409 naming the key; rotation too', async () => {
    assert.equal((await api.post('/keys/one/create', { kty: 'EC' })).status, 200);
    assertQuota(await api.post('/keys/one/create', { kty: 'EC' }), /^The number of versions \(2\) of key one has reached its limit/);
    assertQuota(await api.post('/keys/one/rotate'), /versions \(2\)/);
    assert.equal((await api.get('/keys/one/versions')).json.value.length, 2);
  });

  test('custom role definitions: Managed HSM\'s 50, the 51st is 409; replacing one is not', async () => {
    const put = (name: string, roleName: string) => api.put(`/providers/Microsoft.Authorization/roleDefinitions/${name}`, {
      properties: { roleName, permissions: [{ dataActions: ['Microsoft.KeyVault/managedHsm/keys/read/action'] }] },
    });
    const names = Array.from({ length: 50 }, () => randomUUID());
    for (const [n, name] of names.entries()) assert.equal((await put(name, `role ${n}`)).status, 201);
    assertQuota(await put(randomUUID(), 'one too many'), /^The number of custom role definitions \(50\) in this HSM has reached its limit\.$/);
    const replaced = await put(names[0] ?? '', 'role 0, renamed');
    assert.ok(replaced.status === 200 || replaced.status === 201, replaced.text);
  });
});

describe("Cloud HSM's handle model", () => {
  test('RSA and EC versions take 2 handles, AES 1: 5 handles hold two EC keys and one AES key', async () => {
    assert.equal((await cloudApi.post('/keys/ec-1/create', { kty: 'EC' })).status, 200);
    assert.equal((await cloudApi.post('/keys/rsa-1/create', { kty: 'RSA', key_size: 2048 })).status, 200);
    assertQuota(await cloudApi.post('/keys/ec-1/create', { kty: 'EC' }), /^The number of key handles \(5\) in this HSM has reached its limit: an RSA or EC key version takes 2, an AES key 1/);
    assert.equal((await cloudApi.post('/keys/aes-1/create', { kty: 'oct-HSM', key_size: 256 })).status, 200);
    assertQuota(await cloudApi.post('/keys/aes-2/create', { kty: 'oct-HSM', key_size: 256 }), /handles \(5\)/);
  });
});
