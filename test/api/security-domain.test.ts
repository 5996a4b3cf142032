/**
 * Issue 9: the security domain over the Managed HSM REST shapes (reference §5.5) and the key backups it opens.
 * The custodians' side (recombining shares, building the upload blob) is done here with the same module the
 * CLI uses, with certificates made by `openssl`; the CLI's own ceremony test is test/cli/.
 *
 *   A: an active instance (the default): its domain is downloaded as 3 shares, quorum 2
 *   B: a new instance with --require-activation: 503 until A's domain is uploaded with 2 of the 3 keys; then
 *      A's key backups restore on B and sign with the same private key
 *   C: a third instance with its own domain refuses A's backups
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createUploadBlob, parseTransferKey, recoverDomainSecret } from '../../src/custody/security-domain-file.ts';
import { makeCustodians, type Custodians } from '../../harness/custodians.ts';
import { accessToken, apiClient, request } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';

type Api = ReturnType<typeof apiClient>;

let custodians: Custodians;
let a: StartedServer;
let b: StartedServer;
let c: StartedServer;
let apiA: Api;
let apiB: Api;
let apiC: Api;

before(async () => {
  custodians = makeCustodians(3);
  [a, b, c] = await Promise.all([startServer(), startServer({ args: ['--require-activation'] }), startServer()]);
  const clients = await Promise.all([a, b, c].map(async (server) => apiClient(server, await accessToken(server))));
  [apiA, apiB, apiC] = clients as [Api, Api, Api];
});
after(async () => {
  await Promise.all([a, b, c].map((server) => server && disposeServer(server)));
  custodians?.close();
});

const certificates = () => custodians.members.map((member) => member.jwk);

describe('download', () => {
  test('a malformed request is 400 BadParameter and changes nothing', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ certificates: certificates().slice(0, 2), required: 2 }, /certificates/i],
      [{ certificates: certificates(), required: 1 }, /required|quorum/i],
      [{ certificates: certificates(), required: 4 }, /required|quorum/i],
      [{ certificates: [...certificates().slice(0, 2), { ...certificates()[0], x5c: ['bm90IGEgY2VydA'] }], required: 2 }, /x5c/],
      [{ certificates: [...certificates().slice(0, 2), certificates()[0]], required: 2 }, /duplicate|twice|same/i],
      [[1, 2], /object/i],
    ];
    for (const [body, message] of cases) {
      const response = await apiA.post('/securitydomain/download', body as never);
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(response.json.error.code, 'BadParameter');
      assert.match(response.json.error.message, message);
    }
    const ec = makeCustodians(1, { ec: true });
    try {
      const response = await apiA.post('/securitydomain/download', { certificates: [...certificates().slice(0, 2), ec.members[0]?.jwk], required: 2 });
      assert.equal(response.status, 400);
      assert.match(response.json.error.message, /RSA/);
    } finally {
      ec.close();
    }
  });

  test('an active instance answers 202 with the file and Azure-AsyncOperation; the status is Success', async () => {
    const response = await apiA.post('/securitydomain/download', { certificates: certificates(), required: 2 });
    assert.equal(response.status, 202, response.text);
    assert.equal(response.headers['azure-asyncoperation'], `${a.url()}/securitydomain/download/pending`);
    assert.equal(typeof response.json.value, 'string');
    const file = JSON.parse(response.json.value);
    assert.equal(file.SharedKeys.required, 2);
    assert.equal(file.SharedKeys.enc_shares.length, 3);
    const status = await apiA.get('/securitydomain/download/pending');
    assert.equal(status.status, 200);
    assert.deepEqual(status.json, { status: 'Success', status_details: 'The security domain was downloaded.' });
    securityDomainFile = response.json.value;
  });
});

let securityDomainFile = '';
let backupOfA = '';
let publicOfA: Record<string, string> = {};

describe('upload into a new instance awaiting activation', () => {
  test('before activation: key requests are 503, tokens and the transfer key work', async () => {
    const keys = await apiB.get('/keys');
    assert.equal(keys.status, 503);
    assert.equal(keys.json.error.code, 'ServiceUnavailable');
    assert.match(keys.json.error.message, /awaits activation/);
    assert.ok(keys.headers['retry-after']);
    // A load balancer keeps routing to it (the whole instance waits), so the ceremony can reach it.
    const health = await request(b, { path: '/healthz' });
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'healthy', store: 'reachable', keyMaterial: 'awaiting-activation' });
    const transfer = await apiB.get('/securitydomain/upload');
    assert.equal(transfer.status, 200);
    assert.equal(transfer.json.key_format, 'jwk');
    assert.equal(transfer.json.transfer_key.kty, 'RSA');
    assert.equal(transfer.json.transfer_key.x5c.length, 1);
    assert.equal(transfer.json.transfer_key['x5t#S256'].length, 43);
  });

  test('a key of A is backed up (all versions) on A', async () => {
    const first = await apiA.post('/keys/custodied/create', { kty: 'EC', crv: 'P-256' });
    assert.equal(first.status, 200);
    const second = await apiA.post('/keys/custodied/create', { kty: 'EC', crv: 'P-256', tags: { v: '2' } });
    publicOfA = second.json.key;
    const backup = await apiA.post('/keys/custodied/backup');
    assert.equal(backup.status, 200, backup.text);
    assert.match(backup.json.value, /^[A-Za-z0-9_-]+$/);
    backupOfA = backup.json.value;
    // The blob is not the key: no private member of it appears in the blob, in any encoding the service uses.
    assert.equal(Buffer.from(backupOfA, 'base64url').includes(Buffer.from('"privateKey"')), false);
  });

  test('one custodian alone cannot recover the domain', async () => {
    await assert.rejects(recoverDomainSecret(securityDomainFile, [{ privateKey: custodians.members[0]!.privateKey, certificate: custodians.members[0]!.certificatePem }]));
  });

  test('a blob made for an earlier transfer key is refused, nothing changes', async () => {
    const earlier = parseTransferKey((await apiB.get('/securitydomain/upload')).json.transfer_key);
    await apiB.get('/securitydomain/upload'); // a newer one replaces it
    const secret = await recoverDomainSecret(securityDomainFile, custodians.members.slice(0, 2).map((m) => ({ privateKey: m.privateKey, certificate: m.certificatePem })));
    const response = await apiB.post('/securitydomain/upload', { value: await createUploadBlob(secret, earlier) });
    assert.equal(response.status, 400);
    assert.match(response.json.error.message, /another transfer key/);
    assert.equal((await apiB.get('/keys')).status, 503);
  });

  test('2 of the 3 custodians restore A\'s domain into B: B is activated and A\'s backup restores there', async () => {
    const transfer = parseTransferKey((await apiB.get('/securitydomain/upload')).json.transfer_key);
    const secret = await recoverDomainSecret(securityDomainFile, [custodians.members[2]!, custodians.members[0]!].map((m) => ({ privateKey: m.privateKey, certificate: m.certificatePem })));
    const upload = await apiB.post('/securitydomain/upload', { value: await createUploadBlob(secret, transfer) });
    secret.key.fill(0);
    assert.equal(upload.status, 202, upload.text);
    assert.equal(upload.headers['azure-asyncoperation'], `${b.url()}/securitydomain/upload/pending`);
    assert.equal((await apiB.get('/securitydomain/upload/pending')).json.status, 'Success');
    assert.equal((await apiB.get('/keys')).status, 200);

    const restored = await apiB.post('/keys/restore', { value: backupOfA });
    assert.equal(restored.status, 200, restored.text);
    assert.equal(restored.json.key.x, publicOfA.x);
    assert.deepEqual(restored.json.tags, { v: '2' });
    const versions = await apiB.get('/keys/custodied/versions');
    assert.equal(versions.json.value.length, 2);
    // B signs with A's private key: the signature verifies under the public key A answered.
    const message = randomBytes(100);
    const digest = createHash('sha256').update(message).digest();
    const signed = await apiB.post('/keys/custodied/sign', { alg: 'ES256', value: digest.toString('base64url') });
    assert.equal(signed.status, 200);
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: publicOfA.x, y: publicOfA.y }, format: 'jwk' });
    assert.ok(verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signed.json.value, 'base64url')));
  });

  test('a second upload into the now active instance is 409', async () => {
    const transfer = parseTransferKey((await apiB.get('/securitydomain/upload')).json.transfer_key);
    const secret = await recoverDomainSecret(securityDomainFile, custodians.members.slice(1).map((m) => ({ privateKey: m.privateKey, certificate: m.certificatePem })));
    const response = await apiB.post('/securitydomain/upload', { value: await createUploadBlob(secret, transfer) });
    assert.equal(response.status, 409);
    assert.match(response.json.error.message, /awaits activation/);
  });
});

describe('key backups', () => {
  test('restore over an existing name is 409; a tampered, truncated or foreign blob is 400 and stores nothing', async () => {
    const existing = await apiB.post('/keys/restore', { value: backupOfA });
    assert.equal(existing.status, 409);
    assert.equal(existing.json.error.code, 'Conflict');

    const bytes = Buffer.from(backupOfA, 'base64url');
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 1;
    assert.equal((await apiB.delete('/keys/custodied')).status, 200);
    assert.equal((await apiB.delete('/deletedkeys/custodied')).status, 204);
    for (const value of [tampered.toString('base64url'), bytes.subarray(0, bytes.length - 20).toString('base64url'), 'AAAA', 'not base64!', 42]) {
      const response = await apiB.post('/keys/restore', { value });
      assert.equal(response.status, 400);
      // Key Vault's code, spaces and all (recorded traffic: malformed-backup-400-vault).
      assert.equal(response.json.error.code, 'Malformed backup blob');
      assert.equal(response.json.error.message, 'Backup blob contains invalid or corrupt version.');
    }
    const foreign = await apiC.post('/keys/restore', { value: backupOfA });
    assert.equal(foreign.status, 400);
    assert.match(foreign.json.error.message, /belongs to another security domain/);
    assert.equal((await apiC.get('/keys')).json.value.length, 0);
    assert.equal((await apiB.get('/keys/custodied')).status, 404, 'nothing was stored on B either');
    assert.equal((await apiB.post('/keys/restore', { value: backupOfA })).status, 200, 'the intact blob still restores');
  });

  test('backup, delete and purge, restore: the same key again on the same instance', async () => {
    assert.equal((await apiC.post('/keys/again/create', { kty: 'RSA', key_size: 2048 })).status, 200);
    const original = (await apiC.get('/keys/again')).json;
    const backup = (await apiC.post('/keys/again/backup')).json.value;
    assert.equal((await apiC.delete('/keys/again')).status, 200);
    const whileDeleted = await apiC.post('/keys/restore', { value: backup });
    assert.equal(whileDeleted.status, 409);
    assert.equal((await apiC.delete('/deletedkeys/again')).status, 204);
    const restored = await apiC.post('/keys/restore', { value: backup });
    assert.equal(restored.status, 200);
    assert.equal(restored.json.key.kid, original.key.kid);
    assert.equal(restored.json.key.n, original.key.n);
    assert.equal((await apiC.post('/keys/missing/backup')).status, 404);
  });
});
