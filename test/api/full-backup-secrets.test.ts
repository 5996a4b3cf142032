/**
 * Full backup and restore carry secrets too (domain/backup/backup-secrets.ts): every version, soft-deleted
 * secrets as deleted, values sealed in the folder; a fresh instance of the same security domain gets them back,
 * leaving a name it already holds as it is; a selective key restore never restores a secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { createUploadBlob, parseTransferKey, recoverDomainSecret } from '../../src/custody/security-domain-file.ts';
import { makeCustodians, type Custodians } from '../../harness/custodians.ts';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';

type Api = ReturnType<typeof apiClient>;
type Operation = { status: string; statusDetails: string; azureStorageBlobContainerUri?: string };

let custodians: Custodians;
let a: StartedServer;
let b: StartedServer;
let apiA: Api;
let apiB: Api;
const folders = mkdtempSync(join(tmpdir(), 'strongroom-secret-backups-'));
const target = pathToFileURL(folders).href;
const VALUE = `full-backup-value-${Date.now()}-秘密`;

before(async () => {
  custodians = makeCustodians(3);
  [a, b] = await Promise.all([startServer(), startServer({ args: ['--require-activation'] })]);
  apiA = apiClient(a, await accessToken(a));
  apiB = apiClient(b, await accessToken(b));
  const file = (await apiA.post('/securitydomain/download', { certificates: custodians.members.map((m) => m.jwk), required: 2 })).json.value as string;
  const transfer = parseTransferKey((await apiB.get('/securitydomain/upload')).json.transfer_key);
  const secret = await recoverDomainSecret(file, custodians.members.slice(0, 2).map((m) => ({ privateKey: m.privateKey, certificate: m.certificatePem })));
  assert.equal((await apiB.post('/securitydomain/upload', { value: await createUploadBlob(secret, transfer) })).status, 202);
  secret.key.fill(0);
});
after(async () => {
  await Promise.all([a, b].map((server) => server && disposeServer(server)));
  custodians?.close();
  rmSync(folders, { recursive: true, force: true });
});

async function settle(api: Api, started: { status: number; headers: Record<string, string | string[] | undefined>; json: Operation }): Promise<Operation> {
  assert.equal(started.status, 202, JSON.stringify(started.json));
  const path = new URL(String(started.headers['azure-asyncoperation'])).pathname;
  for (let attempt = 0; attempt < 200; attempt++) {
    const polled = await api.get(path);
    if (polled.json.status !== 'InProgress') return polled.json as Operation;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${path} did not finish`);
}

test('secrets go into a full backup and come back in a full restore of the same domain', async () => {
  // B's upload finishes in the background; wait until it answers as activated.
  for (let attempt = 0; attempt < 100 && (await apiB.get('/secrets')).status !== 200; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
  const first = await apiA.put('/secrets/app', { value: `${VALUE}-1`, contentType: 'text/plain' });
  assert.equal((await apiA.put('/secrets/app', { value: VALUE, tags: { v: '2' } })).status, 200);
  assert.equal((await apiA.put('/secrets/retired', { value: 'old' })).status, 200);
  assert.equal((await apiA.delete('/secrets/retired')).status, 200);
  assert.equal((await apiA.put('/secrets/taken', { value: 'from A' })).status, 200);
  assert.equal((await apiB.put('/secrets/taken', { value: 'already on B' })).status, 200);
  assert.equal((await apiA.post('/keys/k/create', { kty: 'EC' })).status, 200);

  const backup = await settle(apiA, await apiA.post('/backup', { storageResourceUri: target }));
  assert.equal(backup.status, 'Succeeded', backup.statusDetails);
  assert.match(backup.statusDetails, /3 secrets/);
  const folder = (backup.azureStorageBlobContainerUri ?? '').split('/').at(-1) ?? '';
  const objects = readdirSync(join(folders, folder, 'secrets'));
  assert.equal(objects.length, 3);
  for (const object of objects) assert.equal(readFileSync(join(folders, folder, 'secrets', object)).indexOf(Buffer.from(VALUE)), -1);

  const selective = await settle(apiB, await apiB.put('/keys/k/restore', { sasTokenParameters: { storageResourceUri: target }, folder }));
  assert.equal(selective.status, 'Succeeded', selective.statusDetails);
  assert.equal((await apiB.get('/secrets/app')).status, 404, 'a selective key restore restores no secret');

  const restored = await settle(apiB, await apiB.put('/restore', { sasTokenParameters: { storageResourceUri: target }, folderToRestore: folder }));
  assert.equal(restored.status, 'Succeeded', restored.statusDetails);
  assert.match(restored.statusDetails, /Secrets: 2 of 3 restored/);
  const app = await apiB.get('/secrets/app');
  assert.equal(app.json.value, VALUE);
  assert.deepEqual(app.json.tags, { v: '2' });
  const version = String(first.json.id).split('/').pop();
  assert.equal((await apiB.get(`/secrets/app/${version}`)).json.value, `${VALUE}-1`);
  assert.equal((await apiB.get('/deletedsecrets/retired')).status, 200, 'a deleted secret comes back deleted');
  assert.equal((await apiB.get('/secrets/taken')).json.value, 'already on B', 'a name in use is left as it is');
});
