/**
 * Issue 9: full backup, full restore and selective key restore (reference §5.3) with the LRO protocol the admin
 * SDK follows, to a file:/// folder and to a real Azure Blob Storage emulator (Azurite) with SAS tokens.
 *
 *   A  an instance with keys (two versions of one, a soft-deleted one) backs up
 *   B  a new instance given A's security domain (download on A, upload on B) restores everything, then one key
 *      again by selective restore
 *   C  an instance of its own domain refuses A's backup
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createUploadBlob, parseTransferKey, recoverDomainSecret } from '../../src/custody/security-domain-file.ts';
import { startAzurite, type TestAzurite as Azurite } from '../../harness/azurite.ts';
import { makeCustodians, type Custodians } from '../../harness/custodians.ts';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';

type Api = ReturnType<typeof apiClient>;
type Operation = { status: string; statusDetails: string; error: { code: string; message: string } | null; jobId: string; azureStorageBlobContainerUri?: string; resourceLocation?: string; endTime: number | null };

let custodians: Custodians;
let azurite: Azurite;
let a: StartedServer;
let b: StartedServer;
let c: StartedServer;
let apiA: Api;
let apiB: Api;
let apiC: Api;
const folders = mkdtempSync(join(tmpdir(), 'strongroom-backups-'));
const folderTarget = pathToFileURL(folders).href;

before(async () => {
  custodians = makeCustodians(3);
  [azurite, a, b, c] = await Promise.all([startAzurite(), startServer(), startServer({ args: ['--require-activation'] }), startServer()]);
  const clients = await Promise.all([a, b, c].map(async (server) => apiClient(server, await accessToken(server))));
  [apiA, apiB, apiC] = clients as [Api, Api, Api];
  // B gets A's security domain: the custodians' ceremony, 2 of 3.
  const file = (await apiA.post('/securitydomain/download', { certificates: custodians.members.map((m) => m.jwk), required: 2 })).json.value as string;
  const transfer = parseTransferKey((await apiB.get('/securitydomain/upload')).json.transfer_key);
  const secret = await recoverDomainSecret(file, custodians.members.slice(0, 2).map((m) => ({ privateKey: m.privateKey, certificate: m.certificatePem })));
  assert.equal((await apiB.post('/securitydomain/upload', { value: await createUploadBlob(secret, transfer) })).status, 202);
  secret.key.fill(0);
  // A's keys.
  for (const name of ['alpha', 'beta', 'gamma']) assert.equal((await apiA.post(`/keys/${name}/create`, { kty: 'EC', crv: 'P-256' })).status, 200);
  assert.equal((await apiA.post('/keys/alpha/create', { kty: 'EC', crv: 'P-256', tags: { v: '2' } })).status, 200);
  assert.equal((await apiA.delete('/keys/gamma')).status, 200);
});
after(async () => {
  await Promise.all([a, b, c].map((server) => server && disposeServer(server)));
  await azurite?.stop();
  custodians?.close();
  rmSync(folders, { recursive: true, force: true });
});

/** Polls the Azure-AsyncOperation URL until the operation is no longer running. */
async function settle(api: Api, started: { status: number; headers: Record<string, string | string[] | undefined>; json: Operation }, server: StartedServer): Promise<Operation> {
  assert.equal(started.status, 202, JSON.stringify(started.json));
  const url = String(started.headers['azure-asyncoperation']);
  assert.ok(url.startsWith(server.url()), url);
  assert.ok(Number(started.headers['retry-after']) > 0);
  const path = new URL(url).pathname;
  for (let attempt = 0; attempt < 200; attempt++) {
    const polled = await api.get(path);
    assert.equal(polled.status, 200);
    if (polled.json.status !== 'InProgress') return polled.json as Operation;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${path} did not finish`);
}

const folderOf = (operation: Operation) => (operation.azureStorageBlobContainerUri ?? '').split('/').at(-1) ?? '';

describe('to a file:/// folder', () => {
  let folder = '';

  test('pre-backup checks the target; a backup writes one sealed object per key and a manifest', async () => {
    const pre = await settle(apiA, await apiA.post('/prebackup', { storageResourceUri: folderTarget, useManagedIdentity: false }), a);
    assert.equal(pre.status, 'Succeeded', pre.statusDetails);
    const started = await apiA.post('/backup', { storageResourceUri: folderTarget });
    assert.equal(started.json.status, 'InProgress');
    assert.match(started.json.jobId, /^[0-9a-f]{32}$/);
    const done = await settle(apiA, started, a);
    assert.equal(done.status, 'Succeeded', done.statusDetails);
    assert.match(done.statusDetails, /2 keys and 1 deleted keys/);
    assert.equal(typeof done.endTime, 'number');
    folder = folderOf(done);
    assert.equal(done.azureStorageBlobContainerUri, `${folderTarget}/${folder}`);
    const path = join(folders, folder);
    assert.equal(statSync(path).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(path, { recursive: true, encoding: 'utf8' }).filter((name) => name.includes('.')).sort(), ['keys/0000001.key', 'keys/0000002.key', 'keys/0000003.key', 'manifest.sealed']);
  });

  test('two backups at once: the second is 409 Conflict', async () => {
    const [first, second] = await Promise.all([apiA.post('/backup', { storageResourceUri: folderTarget }), apiA.post('/backup', { storageResourceUri: folderTarget })]);
    const statuses = [first.status, second.status].sort();
    assert.deepEqual(statuses, [202, 409]);
    const winner = first.status === 202 ? first : second;
    const loser = first.status === 409 ? first : second;
    assert.equal(loser.json.error.code, 'Conflict');
    assert.equal((await settle(apiA, winner, a)).status, 'Succeeded');
  });

  test('a full restore into a fresh instance of the same domain brings every key back, deleted ones as deleted', async () => {
    const preRestore = await settle(apiB, await apiB.put('/prerestore', { sasTokenParameters: { storageResourceUri: folderTarget }, folderToRestore: folder }), b);
    assert.equal(preRestore.status, 'Succeeded', preRestore.statusDetails);
    const done = await settle(apiB, await apiB.put('/restore', { sasTokenParameters: { storageResourceUri: folderTarget }, folderToRestore: folder }), b);
    assert.equal(done.status, 'Succeeded', done.statusDetails);
    assert.equal(done.resourceLocation, `${b.url()}/restore/${done.jobId}/pending`, 'core-lro\'s final GET after a PUT');
    const alphaOnA = (await apiA.get('/keys/alpha')).json;
    const alphaOnB = (await apiB.get('/keys/alpha')).json;
    assert.equal(alphaOnB.key.x, alphaOnA.key.x);
    assert.deepEqual(alphaOnB.tags, { v: '2' });
    assert.equal((await apiB.get('/keys/alpha/versions')).json.value.length, 2);
    assert.equal((await apiB.get('/deletedkeys/gamma')).status, 200);
    const signed = await apiB.post('/keys/beta/sign', { alg: 'ES256', value: Buffer.alloc(32, 1).toString('base64url') });
    const verified = await apiA.post('/keys/beta/verify', { alg: 'ES256', digest: Buffer.alloc(32, 1).toString('base64url'), value: signed.json.value });
    assert.equal(verified.json.value, true, 'B signs with A\'s private key');
  });

  test('a selective restore brings one key back; over a name in use it fails', async () => {
    assert.equal((await apiB.delete('/keys/beta')).status, 200);
    assert.equal((await apiB.delete('/deletedkeys/beta')).status, 204);
    const done = await settle(apiB, await apiB.put('/keys/beta/restore', { sasTokenParameters: { storageResourceUri: folderTarget }, folder }), b);
    assert.equal(done.status, 'Succeeded', done.statusDetails);
    assert.equal((await apiB.get('/keys/beta')).status, 200);
    const again = await settle(apiB, await apiB.put('/keys/beta/restore', { sasTokenParameters: { storageResourceUri: folderTarget }, folder }), b);
    assert.equal(again.status, 'Failed');
    assert.equal(again.error?.code, 'Conflict');
    const missing = await settle(apiB, await apiB.put('/keys/nobody/restore', { sasTokenParameters: { storageResourceUri: folderTarget }, folder }), b);
    assert.equal(missing.status, 'Failed');
    assert.match(missing.error?.message ?? '', /holds no key named nobody/);
  });

  test('another domain, a missing folder, a malformed request: each fails cleanly and restores nothing', async () => {
    const foreign = await settle(apiC, await apiC.put('/restore', { sasTokenParameters: { storageResourceUri: folderTarget }, folderToRestore: folder }), c);
    assert.equal(foreign.status, 'Failed');
    assert.match(foreign.error?.message ?? '', /belongs to another security domain/);
    assert.equal((await apiC.get('/keys')).json.value.length, 0);
    const missing = await settle(apiC, await apiC.put('/restore', { sasTokenParameters: { storageResourceUri: folderTarget }, folderToRestore: 'no-such-folder' }), c);
    assert.equal(missing.status, 'Failed');
    assert.equal(missing.error?.code, 'NotFound');
    for (const body of [{ folderToRestore: folder }, { sasTokenParameters: { storageResourceUri: folderTarget } }, { sasTokenParameters: { storageResourceUri: folderTarget }, folderToRestore: '../etc' }]) {
      const response = await apiC.put('/restore', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.json.error.code, 'BadParameter');
    }
    assert.equal((await apiC.post('/backup', {})).status, 400);
    assert.equal((await apiC.get('/backup/0123456789abcdef0123456789abcdef/pending')).status, 404);
    assert.equal(existsSync(join(folders, 'no-such-folder')), false);
  });
});

describe('to Azure Blob Storage (Azurite) with a SAS token', () => {
  test('backup to a container and restore from it; a bad SAS token fails without showing the token', async () => {
    const container = await azurite.createContainer('strongroom-backups');
    const token = azurite.sasFor(container);
    const done = await settle(apiA, await apiA.post('/backup', { storageResourceUri: container, token, useManagedIdentity: false }), a);
    assert.equal(done.status, 'Succeeded', done.statusDetails);
    assert.ok(done.azureStorageBlobContainerUri?.startsWith(`${container}/strongroom-backup-`));
    assert.equal((await apiB.delete('/keys/alpha')).status, 200);
    assert.equal((await apiB.delete('/deletedkeys/alpha')).status, 204);
    const restored = await settle(apiB, await apiB.put('/keys/alpha/restore', { sasTokenParameters: { storageResourceUri: container, token }, folder: folderOf(done) }), b);
    assert.equal(restored.status, 'Succeeded', restored.statusDetails);
    assert.equal((await apiB.get('/keys/alpha/versions')).json.value.length, 2);

    const forged = token.replace(/sig=[^&]+/, 'sig=' + encodeURIComponent(Buffer.alloc(32, 7).toString('base64')));
    const refused = await settle(apiA, await apiA.post('/backup', { storageResourceUri: container, token: forged }), a);
    assert.equal(refused.status, 'Failed');
    assert.equal(refused.error?.code, 'Forbidden');
    assert.equal(JSON.stringify(refused).includes(forged), false);
    assert.equal(JSON.stringify(refused).includes(encodeURIComponent(Buffer.alloc(32, 7).toString('base64'))), false);
    const noToken = await apiA.post('/backup', { storageResourceUri: container, useManagedIdentity: true });
    assert.equal(noToken.status, 400);
    assert.match(noToken.json.error.message, /no managed identity/);
  });
});
