/**
 * Issue 9 in a cluster: two nodes on one PostgreSQL database, both started with --require-activation and the
 * same unseal key. Both answer key requests with 503 until a security domain is uploaded through one of them;
 * the other then adopts the uploaded domain by itself (it re-reads the domain record every 2 s) and serves the
 * keys sealed under it, and both keep it after a restart.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createUploadBlob, parseTransferKey, recoverDomainSecret } from '../../src/custody/security-domain-file.ts';
import { makeCustodians, type Custodians } from '../../harness/custodians.ts';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { testPostgres, type TestPostgres } from '../../harness/postgres.ts';
import { disposeServer, startServer, temporaryDataDir, type StartedServer } from '../../harness/server-process.ts';

let postgres: TestPostgres;
let custodians: Custodians;
let origin: StartedServer;
let url = '';
const nodes: StartedServer[] = [];

before(async () => {
  postgres = await testPostgres();
  custodians = makeCustodians(3);
  origin = await startServer({ store: 'sqlite' });
  url = (await postgres.createDatabase()).url;
  const first = await startServer({ store: { postgres: url }, args: ['--require-activation'] });
  const dataDir = temporaryDataDir();
  copyFileSync(join(first.dataDir, 'unseal-key'), join(dataDir, 'unseal-key'));
  writeFileSync(join(dataDir, 'admin-credentials.json'), readFileSync(join(first.dataDir, 'admin-credentials.json')), { mode: 0o600 });
  nodes.push(first, await startServer({ dataDir, store: { postgres: url }, args: ['--require-activation'] }));
});
after(async () => {
  for (const node of [origin, ...nodes]) if (node !== undefined) await disposeServer(node);
  await postgres?.close();
  custodians?.close();
});

test('an upload through one node activates every node with the uploaded domain', async () => {
  const [one, two] = nodes as [StartedServer, StartedServer];
  const token = await accessToken(one);
  const [apiOne, apiTwo] = [apiClient(one, token), apiClient(two, token)];
  assert.equal((await apiOne.get('/keys')).status, 503);
  assert.equal((await apiTwo.get('/keys')).status, 503);

  // The origin instance's domain and one of its keys, backed up.
  const apiOrigin = apiClient(origin, await accessToken(origin));
  assert.equal((await apiOrigin.post('/keys/moved/create', { kty: 'EC', crv: 'P-256' })).status, 200);
  const backup = (await apiOrigin.post('/keys/moved/backup')).json.value as string;
  const file = (await apiOrigin.post('/securitydomain/download', { certificates: custodians.members.map((m) => m.jwk), required: 2 })).json.value as string;

  // The transfer key is fetched from node two, the blob uploaded through node one: the cluster shares it.
  const transfer = parseTransferKey((await apiTwo.get('/securitydomain/upload')).json.transfer_key);
  const secret = await recoverDomainSecret(file, custodians.members.slice(1).map((m) => ({ privateKey: m.privateKey, certificate: m.certificatePem })));
  const upload = await apiOne.post('/securitydomain/upload', { value: await createUploadBlob(secret, transfer) });
  secret.key.fill(0);
  assert.equal(upload.status, 202, upload.text);
  assert.equal((await apiOne.get('/keys')).status, 200);

  const deadline = Date.now() + 5_000;
  while ((await apiTwo.get('/keys')).status !== 200) {
    assert.ok(Date.now() < deadline, 'node two adopts the uploaded domain within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal((await apiTwo.post('/keys/restore', { value: backup })).status, 200, 'node two opens the origin\'s backup');
  const signed = await apiOne.post('/keys/moved/sign', { alg: 'ES256', value: Buffer.alloc(32, 3).toString('base64url') });
  assert.equal(signed.status, 200, 'node one uses what node two restored');
  const verified = await apiOrigin.post('/keys/moved/verify', { alg: 'ES256', digest: Buffer.alloc(32, 3).toString('base64url'), value: signed.json.value });
  assert.equal(verified.json.value, true);

  // A restart opens the uploaded domain (the node identity was re-sealed under it).
  await two.stop();
  const restarted = await startServer({ dataDir: two.dataDir, store: { postgres: url }, args: ['--require-activation'] });
  nodes[1] = restarted;
  const again = await apiClient(restarted, await accessToken(restarted)).post('/keys/moved/sign', { alg: 'ES256', value: Buffer.alloc(32, 3).toString('base64url') });
  assert.equal(again.status, 200);
});
