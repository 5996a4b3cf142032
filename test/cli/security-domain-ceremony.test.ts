/**
 * Issue 9, the custodians' ceremony end to end with the CLI as an administrator runs it, against real servers
 * and real `openssl` certificates:
 *
 *   A  an active instance: `strongroom security-domain download` with 3 certificates, quorum 2; a key made on A
 *      is backed up (POST /keys/{name}/backup)
 *   B  a fresh instance started with --require-activation: 503 for keys until `strongroom security-domain upload`
 *      with 2 of the 3 keys (one of them password-protected); one key alone fails and leaves B waiting; after
 *      the upload A's key backup restores on B and signs with the same private key
 *   C  a third instance, with its own domain, refuses A's backup
 *
 * It needs the server's routes of reference §5.5 and key backup/restore (POST /keys/{name}/backup,
 * POST /keys/restore); 404s here mean those are missing.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { runStrongroom } from '../../harness/cli-process.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';
import { custodianDirectory, type Custodian, type CustodianDirectory } from '../../harness/custodians.ts';

type Api = ReturnType<typeof apiClient>;

let dir: CustodianDirectory;
let custodians: [Custodian, Custodian, Custodian];
let a: StartedServer;
let b: StartedServer;
let c: StartedServer;

before(async () => {
  dir = custodianDirectory();
  custodians = [dir.make('custodian1'), dir.make('custodian2', { password: 'second custodian' }), dir.make('custodian3')];
  [a, b, c] = await Promise.all([startServer(), startServer({ args: ['--require-activation'] }), startServer()]);
});
after(async () => {
  await Promise.all([a, b, c].map((server) => server && disposeServer(server)));
  dir?.remove();
});

/** `npx strongroom …` as a user types it: a child process, with the data directory of the instance it talks to. */
const strongroom = (server: StartedServer, args: string[]) => runStrongroom(args, { dataDir: server.dataDir });

const api = async (server: StartedServer): Promise<Api> => apiClient(server, await accessToken(server));
const file = () => join(dir.dir, 'security-domain.json');

describe('the custodians\' ceremony through the CLI', () => {
  let backupBlob: string;
  let publicJwk: Record<string, unknown>;

  it('A: a key is made and backed up; the security domain is downloaded as 3 shares, quorum 2', async () => {
    const apiA = await api(a);
    const created = await apiA.post('/keys/ceremony-key/create', { kty: 'RSA', key_size: 2048 });
    assert.equal(created.status, 200, created.text);
    publicJwk = created.json.key;
    const backup = await apiA.post('/keys/ceremony-key/backup');
    assert.equal(backup.status, 200, backup.text);
    backupBlob = backup.json.value;

    const result = await strongroom(a, ['security-domain', 'download', '--sd-wrapping-keys', ...custodians.map((m) => m.certFile), '--sd-quorum', '2', '--security-domain-file', file(), '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { securityDomainFile: file(), certificates: 3, required: 2, status: 'Success' });
    assert.equal(statSync(file()).mode & 0o777, 0o600);
  });

  it('B awaits activation: keys answer 503 ServiceUnavailable', async () => {
    const response = await (await api(b)).post('/keys/early/create', { kty: 'EC', crv: 'P-256' });
    assert.equal(response.status, 503, response.text);
    assert.equal(response.json.error.code, 'ServiceUnavailable');
  });

  it('B: one key alone fails, and B still awaits activation', async () => {
    const result = await strongroom(b, ['security-domain', 'upload', '--sd-file', file(), '--sd-wrapping-keys', custodians[0].keyFile]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /needs 2 custodian keys; 1 given/);
    assert.equal((await (await api(b)).post('/keys/early/create', { kty: 'EC', crv: 'P-256' })).status, 503);
  });

  it('B: the upload with 2 of the 3 keys (one encrypted) activates it with A\'s domain', async () => {
    const result = await strongroom(b, ['security-domain', 'upload', '--sd-file', file(), '--sd-wrapping-keys', custodians[2].keyFile, custodians[1].keyFile, '--passwords', '', 'second custodian', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).status, 'Success');
    assert.match(result.stderr, /Security domain upload: Success/);
  });

  it('B: A\'s key backup restores and signs with the same private key', async () => {
    const apiB = await api(b);
    const restored = await apiB.post('/keys/restore', { value: backupBlob });
    assert.equal(restored.status, 200, restored.text);
    const message = randomBytes(64);
    const digest = createHash('sha256').update(message).digest();
    const signed = await apiB.post(`/keys/ceremony-key/sign`, { alg: 'RS256', value: digest.toString('base64url') });
    assert.equal(signed.status, 200, signed.text);
    const signature = Buffer.from(signed.json.value as string, 'base64url');
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: publicJwk['n'] as string, e: publicJwk['e'] as string }, format: 'jwk' });
    assert.ok(verify('sha256', message, publicKey, signature), 'the signature verifies under the original public key');
  });

  it('C: an instance with its own domain refuses the backup', async () => {
    const response = await (await api(c)).post('/keys/restore', { value: backupBlob });
    assert.equal(response.status, 400, response.text);
    assert.equal(response.json.error.code, 'BadParameter');
  });
});
