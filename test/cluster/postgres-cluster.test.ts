/**
 * A cluster: three Strongroom nodes on one PostgreSQL database, each with its own data directory holding a copy
 * of the first node's unseal key. A token from one node works on every node; a key made on one is used
 * on another; a disable through one is refused by the others within the cache bound (1 s); `kill -9` of one node
 * during a stream of writes loses no acknowledged write and the others keep serving; a node with another
 * unseal key refuses to start, naming the mismatch.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { testPostgres, type TestPostgres } from '../../harness/postgres.ts';
import { disposeServer, projectRoot, startServer, temporaryDataDir, type StartedServer } from '../../harness/server-process.ts';

let postgres: TestPostgres;
let url: string;
const nodes: StartedServer[] = [];
const digest = createHash('sha256').update('cluster').digest().toString('base64url');

/** A further node: a fresh data directory with copies of the first node's unseal key and admin credentials. */
function joiningDataDir(first: StartedServer, unsealKey?: Buffer): string {
  const dataDir = temporaryDataDir();
  if (unsealKey === undefined) copyFileSync(join(first.dataDir, 'unseal-key'), join(dataDir, 'unseal-key'));
  else writeFileSync(join(dataDir, 'unseal-key'), unsealKey, { mode: 0o600 });
  writeFileSync(join(dataDir, 'admin-credentials.json'), readFileSync(join(first.dataDir, 'admin-credentials.json')), { mode: 0o600 });
  return dataDir;
}

before(async () => {
  postgres = await testPostgres();
  url = (await postgres.createDatabase()).url;
  const first = await startServer({ store: { postgres: url } });
  nodes.push(first);
  for (let n = 0; n < 2; n++) nodes.push(await startServer({ dataDir: joiningDataDir(first), store: { postgres: url } }));
});
after(async () => {
  for (const node of nodes) await disposeServer(node);
  await postgres.close();
});

test('a token from one node works on all; a key made on one is used on another; one CA for all', async () => {
  const [one, two, three] = nodes as [StartedServer, StartedServer, StartedServer];
  const token = await accessToken(one);
  const created = await apiClient(one, token).post('/keys/shared/create', { kty: 'EC' });
  assert.equal(created.status, 200);
  const signed = await apiClient(two, token).post('/keys/shared/sign', { alg: 'ES256', value: digest });
  assert.equal(signed.status, 200);
  assert.equal(signed.json.kid.split('/').pop(), created.json.key.kid.split('/').pop());
  const verified = await apiClient(three, token).post('/keys/shared/verify', { alg: 'ES256', digest, value: signed.json.value });
  assert.equal(verified.json.value, true);
  assert.equal(verified.json.kid.split('/').pop(), created.json.key.kid.split('/').pop());
  assert.equal(two.ca, one.ca);
  assert.equal(three.ca, one.ca);
});

test('a disable acknowledged by one node is refused by another within 1 s, although it had the key cached', async () => {
  const [, two, three] = nodes as [StartedServer, StartedServer, StartedServer];
  const token = await accessToken(two);
  await apiClient(two, token).post('/keys/switched/create', { kty: 'EC' });
  const onThree = apiClient(three, token);
  assert.equal((await onThree.post('/keys/switched/sign', { alg: 'ES256', value: digest })).status, 200, 'cached on node 3');
  assert.equal((await apiClient(two, token).patch('/keys/switched', { attributes: { enabled: false } })).status, 200);
  const acknowledged = Date.now();
  let status = 200;
  while (status === 200 && Date.now() - acknowledged < 1000) {
    status = (await onThree.post('/keys/switched/sign', { alg: 'ES256', value: digest })).status;
  }
  assert.equal(status, 403, `node 3 still signed ${Date.now() - acknowledged} ms after the disable`);
});

test('a role assignment removed through one node is enforced by another within the RBAC cache bound (2 s)', async () => {
  const [one, , three] = nodes as [StartedServer, StartedServer, StartedServer];
  const token = await accessToken(one);
  const [apiOne, apiThree] = [apiClient(one, token), apiClient(three, token)];
  const P = 'providers/Microsoft.Authorization/roleAssignments';
  assert.equal((await apiOne.post('/keys/rbac-shared/create', { kty: 'EC' })).status, 200);
  assert.equal((await apiThree.post('/keys/rbac-shared/sign', { alg: 'ES256', value: digest })).status, 200, 'node 3 has the assignments cached');
  const mine = await apiOne.get(`/${P}?$filter=${encodeURIComponent(`principalId eq '${one.credentials.clientId}'`)}`);
  const cryptoUser = mine.json.value.find((a: { properties: { roleDefinitionId: string } }) => a.properties.roleDefinitionId.endsWith('21dbd100-6940-42c2-9190-5d6cb909625b'));
  assert.equal((await apiOne.delete(`/${P}/${cryptoUser.name}`)).status, 200);
  const removed = Date.now();
  try {
    assert.equal((await apiOne.post('/keys/rbac-shared/sign', { alg: 'ES256', value: digest })).status, 403, 'at once on the node that made the change');
    let status = 200;
    while (status !== 403) {
      assert.ok(Date.now() - removed < 3_000, 'within the 2 s bound (and a request\'s time)');
      status = (await apiThree.post('/keys/rbac-shared/sign', { alg: 'ES256', value: digest })).status;
      if (status !== 403) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await apiOne.put(`/${P}/${cryptoUser.name}`, { properties: { roleDefinitionId: cryptoUser.properties.roleDefinitionId, principalId: one.credentials.clientId } });
  }
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  assert.equal((await apiThree.post('/keys/rbac-shared/sign', { alg: 'ES256', value: digest })).status, 200, 'and given back the same way');
});

test('kill -9 of a node during writes loses no acknowledged write, and the others keep serving', async () => {
  const [one, two, three] = nodes as [StartedServer, StartedServer, StartedServer];
  const token = await accessToken(one);
  const acknowledged: string[] = [];
  const writer = async (node: StartedServer, prefix: string) => {
    const api = apiClient(node, token);
    for (let n = 0; n < 40; n++) {
      try {
        const response = await api.post(`/keys/${prefix}-${n}/create`, { kty: 'EC' });
        if (response.status === 200) acknowledged.push(String(response.json.key.kid).split('/').slice(-2).join('/'));
      } catch {
        return; // the node is gone
      }
    }
  };
  const writes = Promise.all([writer(one, 'from-one'), writer(two, 'from-two')]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await two.kill();
  await writes;
  assert.ok(acknowledged.some((id) => id.startsWith('from-two')), 'node 2 acknowledged writes before it died');
  const onThree = apiClient(three, token);
  for (const id of acknowledged) assert.equal((await onThree.get(`/keys/${id}`)).status, 200, id);
  assert.equal((await apiClient(one, token).post('/keys/after-the-crash/create', { kty: 'EC' })).status, 200);
});

test('a node with another unseal key refuses to start, naming the mismatch', () => {
  const dataDir = joiningDataDir(nodes[0] as StartedServer, Buffer.alloc(32, 9));
  const result = spawnSync(process.execPath, [join(projectRoot, 'src', 'main.ts'), 'serve', '--data-dir', dataDir, '--port', '0', '--store', url], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /unseal-key does not open this instance's domain key \(it is wrapped by unseal key [0-9a-f]{8}, .* is unseal key [0-9a-f]{8}\); every node needs the same unseal key/);
  assert.ok(!result.stderr.includes('password'), 'no password in the message');
});
