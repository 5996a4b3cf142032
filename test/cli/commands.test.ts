/**
 * The custodian and backup commands as a user runs them (src/cli/), against an HTTPS stub that plays the
 * instance's side of the REST shapes (reference §5.3, §5.5) with the real file format module: options, help,
 * exit codes (0 / 1 / 2), --json output, the file a download writes, the blob an upload sends, and the
 * bodies of backup and restore. The real server is security-domain-ceremony.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createSecurityDomainFile,
  openUploadBlob,
  parseCertificateInfo,
  parseTransferKey,
  type DomainSecret,
} from '../../src/custody/security-domain-file.ts';
import { projectRoot } from '../../harness/server-process.ts';
import { custodianDirectory, type Custodian, type CustodianDirectory } from '../../harness/custodians.ts';
import { startStub, type StubService } from './stub-service.ts';

let stub: StubService;
let dir: CustodianDirectory;
let custodians: Custodian[];
let transfer: Custodian;
const domain: DomainSecret = { key: randomBytes(32), id: 'stub-domain' };
const uploaded: DomainSecret[] = [];

before(async () => {
  dir = custodianDirectory();
  custodians = [dir.make('c1'), dir.make('c2'), dir.make('c3', { password: 'pass three' })];
  transfer = dir.make('transfer');
  stub = await startStub({
    'POST /securitydomain/download': async (request) => {
      const { certificates, required } = parseCertificateInfo(request.body);
      const value = await createSecurityDomainFile(domain, certificates, required);
      return { status: 202, headers: { 'azure-asyncoperation': `${stub.url}/securitydomain/download/pending`, 'retry-after': '0' }, body: { value } };
    },
    'GET /securitydomain/download/pending': () => ({ status: 200, body: { status: 'Success', status_details: 'The security domain was downloaded' } }),
    'GET /securitydomain/upload': () => ({ status: 200, body: { key_format: 'jwk', transfer_key: transfer.jwk } }),
    'POST /securitydomain/upload': async (request) => {
      const value = (request.body as { value: string }).value;
      const transferKey = parseTransferKey(transfer.jwk);
      uploaded.push(await openUploadBlob(value, { privateKey: transfer.privateKey, x5tS256: transferKey.x5tS256 }));
      return { status: 202, headers: { 'azure-asyncoperation': `${stub.url}/securitydomain/upload/pending`, 'retry-after': '0' }, body: { status: 'InProgress', status_details: 'Uploading' } };
    },
    'GET /securitydomain/upload/pending': () => ({ status: 200, body: { status: 'Success', status_details: 'Upload succeeded' } }),
  });
});
after(async () => {
  await stub.close();
  dir.remove();
});

const sdFile = (name: string) => join(dir.dir, name);

describe('strongroom: help and usage', () => {
  const main = join(projectRoot, 'src', 'main.ts');
  it('the process: --help exits 0, an unknown command 2, through src/main.ts', () => {
    const help = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    for (const word of ['serve', 'security-domain download', 'security-domain upload', 'backup', 'restore']) assert.ok(help.stdout.includes(word), word);
    assert.equal(spawnSync(process.execPath, [main, 'launch'], { encoding: 'utf8' }).status, 2);
  });

  it('every command has --help with its flags, and exit code 0', async () => {
    const flags: Record<string, string[]> = {
      'security-domain download': ['--sd-wrapping-keys', '--sd-quorum', '--security-domain-file', '--force'],
      'security-domain upload': ['--sd-file', '--sd-wrapping-keys', '--passwords'],
      backup: ['--to', '--sas-token'],
      restore: ['--from', '--sas-token', '--key'],
    };
    for (const [command, own] of Object.entries(flags)) {
      const result = await stub.run([...command.split(' '), '--help']);
      assert.equal(result.code, 0, command);
      for (const flag of [...own, '--url', '--ca', '--credentials', '--client-id', '--client-secret', '--tenant-id', '--data-dir', '--json']) {
        assert.ok(result.stdout.includes(flag), `${command} ${flag}`);
      }
    }
  });

  const certs = () => custodians.map((c) => c.certFile);
  const usage: [string, () => string[], RegExp][] = [
    ['an unknown option', () => ['backup', '--to', 'file:///tmp', '--frobnicate'], /Unknown option '--frobnicate'/],
    ['a stray argument', () => ['backup', 'file:///tmp'], /Unexpected argument/],
    ['download without --sd-quorum', () => ['security-domain', 'download', '--sd-wrapping-keys', ...certs(), '--security-domain-file', 'x'], /--sd-quorum is required/],
    ['download with 2 certificates', () => ['security-domain', 'download', '--sd-wrapping-keys', ...certs().slice(0, 2), '--sd-quorum', '2', '--security-domain-file', 'x'], /3 to 10 certificates; 2 given/],
    ['download with quorum 1', () => ['security-domain', 'download', '--sd-wrapping-keys', ...certs(), '--sd-quorum', '1', '--security-domain-file', 'x'], /from 2 to 10/],
    ['download with quorum above the certificates', () => ['security-domain', 'download', '--sd-wrapping-keys', ...certs(), '--sd-quorum', '4', '--security-domain-file', 'x'], /more than the 3 certificates/],
    ['upload with passwords that do not pair with keys', () => ['security-domain', 'upload', '--sd-file', 'x', '--sd-wrapping-keys', 'a.key', 'b.key', '--passwords', 'p'], /1 passwords for 2 keys/],
    ['backup without --to', () => ['backup'], /--to is required/],
    ['backup to http://', () => ['backup', '--to', 'http://account/container'], /https:\/\/ container URL or a file:\/\/\/ directory/],
    ['restore from a container, not a folder', () => ['restore', '--from', 'https://account.blob.core.windows.net/container'], /names one backup folder/],
    ['restore of a bad key name', () => ['restore', '--from', 'file:///b/folder', '--key', 'a/b'], /--key must be a key name/],
    ['--url over http', () => ['backup', '--to', 'file:///tmp', '--url', 'http://localhost:8443'], /--url must be an https:\/\/ URL/],
    ['--client-id without the others', () => ['backup', '--to', 'file:///tmp', '--client-id', 'x'], /go together/],
    ['an unknown subcommand', () => ['security-domain', 'steal'], /unknown command 'security-domain steal'/],
  ];
  for (const [name, args, message] of usage) {
    it(`exit 2: ${name}`, async () => {
      const result = await stub.run(args());
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    });
  }

  it('exit 1 with --json: the error as a JSON object on stdout', async () => {
    const result = await stub.run(['backup', '--to', 'file:///tmp', '--data-dir', join(dir.dir, 'nothing-here'), '--json']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no credentials/);
    assert.equal((JSON.parse(result.stdout) as { error: { code: string } }).error.code, 'Failure');
  });
});

describe('strongroom security-domain download / upload', () => {
  it('download writes the file (0600) and prints JSON; the same file again is refused, --force replaces it', async () => {
    const file = sdFile('sd.json');
    const args = ['security-domain', 'download', '--sd-wrapping-keys', ...custodians.map((c) => c.certFile), '--sd-quorum', '2', '--security-domain-file', file];
    const result = await stub.run([...args, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { securityDomainFile: file, certificates: 3, required: 2, status: 'Success' });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const first = readFileSync(file, 'utf8');
    assert.equal((JSON.parse(first) as { SharedKeys: { required: number } }).SharedKeys.required, 2);
    assert.match(result.stderr, /Security domain download: Success/);
    const sent = stub.requests.find((r) => r.path === '/securitydomain/download')?.body as { certificates: Record<string, unknown>[] };
    assert.deepEqual(sent.certificates.map((c) => c['kid']), ['c1', 'c2', 'c3']);
    assert.deepEqual(sent.certificates[0]?.['key_ops'], ['verify', 'encrypt', 'wrapKey']);

    const again = await stub.run(args);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; give --force/);
    assert.equal(readFileSync(file, 'utf8'), first);
    assert.equal((await stub.run([...args, '--force'])).code, 0);
    assert.notEqual(readFileSync(file, 'utf8'), first);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('a certificate that is not one is exit 1 naming the file, and nothing is written', async () => {
    const bogus = join(dir.dir, 'bogus.cer');
    writeFileSync(bogus, 'not a certificate');
    const file = sdFile('never.json');
    const result = await stub.run(['security-domain', 'download', '--sd-wrapping-keys', custodians[0]?.certFile ?? '', bogus, custodians[1]?.certFile ?? '', '--sd-quorum', '2', '--security-domain-file', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /bogus\.cer is not a readable PEM or DER certificate/);
    assert.equal(existsSync(file), false);
  });

  it('upload with 2 of 3 keys (one encrypted) recombines locally and sends a blob for the transfer key', async () => {
    const file = sdFile('sd-upload.json');
    assert.equal((await stub.run(['security-domain', 'download', '--sd-wrapping-keys', ...custodians.map((c) => c.certFile), '--sd-quorum', '2', '--security-domain-file', file])).code, 0);
    const [c1, , c3] = custodians as [Custodian, Custodian, Custodian];
    const result = await stub.run(['security-domain', 'upload', '--sd-file', file, '--sd-wrapping-keys', c3.keyFile, c1.keyFile, '--passwords', 'pass three', '', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { status: 'Success', domainId: domain.id });
    assert.deepEqual(uploaded.at(-1), domain);
    const sent = stub.requests.filter((r) => r.path === '/securitydomain/upload' && r.method === 'POST').at(-1);
    assert.ok(!sent?.text.includes(domain.key.toString('base64url')) && !sent?.text.includes(domain.key.toString('base64')));
  });

  it('upload: one key alone, an encrypted key without its password, a wrong password: exit 1, nothing sent', async () => {
    const file = sdFile('sd-upload.json');
    const [c1, c2, c3] = custodians as [Custodian, Custodian, Custodian];
    const posts = () => stub.requests.filter((r) => r.path === '/securitydomain/upload' && r.method === 'POST').length;
    const before = posts();
    const cases: [string[], RegExp][] = [
      [[c1.keyFile], /needs 2 custodian keys; 1 given/],
      [[c1.keyFile, c3.keyFile], /c3\.key is encrypted: give its password with --passwords/],
      [[c1.keyFile, c3.keyFile, '--passwords', '', 'wrong'], /cannot decrypt .*c3\.key: wrong password\?/],
      [[c1.keyFile, transfer.keyFile], /Key 2 \(.*transfer\.key\) opens no share/],
      [[c2.keyFile, c2.keyFile], /same share/],
    ];
    for (const [keys, message] of cases) {
      const result = await stub.run(['security-domain', 'upload', '--sd-file', file, '--sd-wrapping-keys', ...keys]);
      assert.equal(result.code, 1, keys.join(' '));
      assert.match(result.stderr, message);
    }
    assert.equal(posts(), before);
  });
});

describe('strongroom backup / restore', () => {
  const operation = (prefix: string, jobId: string, final: Record<string, unknown>) => {
    stub.routes.set(`GET /${prefix}/${jobId}/pending`, () => ({ status: 200, headers: { 'retry-after': '0' }, body: { jobId, ...final } }));
    return { status: 202, headers: { 'azure-asyncoperation': `${stub.url}/${prefix}/${jobId}/pending`, 'retry-after': '0' }, body: { status: 'InProgress', jobId, startTime: 1, endTime: 0 } };
  };

  it('backup --to a directory: POST /backup with its file URL, prints the folder URL', async () => {
    const folderUri = 'file:///var/backups/strongroom/mhsm-strongroom-20261202';
    stub.routes.set('POST /backup', () => operation('backup', 'b1', { status: 'Succeeded', azureStorageBlobContainerUri: folderUri }));
    const result = await stub.run(['backup', '--to', 'file:///var/backups/strongroom/', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { folderUri });
    assert.deepEqual(stub.requests.at(-2)?.body, { storageResourceUri: 'file:///var/backups/strongroom' });
    const human = await stub.run(['backup', '--to', '/var/backups/strongroom']);
    assert.match(human.stdout, /Backup written to file:\/\/\/var\/backups\/strongroom\/mhsm-strongroom-20261202/);
  });

  it('backup to a container with a SAS token; a failed backup is exit 1 with the service error', async () => {
    stub.routes.set('POST /backup', () => operation('backup', 'b2', { status: 'Failed', error: { code: 'Forbidden', message: 'The SAS token does not allow writing to the container.' } }));
    const result = await stub.run(['backup', '--to', 'https://account.blob.core.windows.net/backups', '--sas-token', 'sv=2024&sig=x', '--json']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Full backup failed: Forbidden: The SAS token does not allow writing/);
    assert.deepEqual(stub.requests.filter((r) => r.path === '/backup').at(-1)?.body, { storageResourceUri: 'https://account.blob.core.windows.net/backups', token: 'sv=2024&sig=x' });
  });

  it('restore --from splits the folder URL like the Azure SDK; --key restores one key', async () => {
    stub.routes.set('PUT /restore', () => operation('restore', 'r1', { status: 'Succeeded' }));
    stub.routes.set('PUT /keys/payments/restore', () => operation('restore', 'r2', { status: 'Succeeded' }));
    const full = await stub.run(['restore', '--from', 'file:///a/b/folder', '--json']);
    assert.equal(full.code, 0, full.stderr);
    assert.deepEqual(JSON.parse(full.stdout), { status: 'Succeeded', jobId: 'r1', folder: 'file:///a/b/folder' });
    assert.deepEqual(stub.requests.find((r) => r.path === '/restore')?.body, { sasTokenParameters: { storageResourceUri: 'file:///a/b' }, folderToRestore: 'folder' });
    const one = await stub.run(['restore', '--from', 'https://acct.blob.core.windows.net/backups/mhsm-x-1', '--sas-token', 'sig=1', '--key', 'payments']);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(stub.requests.find((r) => r.path === '/keys/payments/restore')?.body, {
      sasTokenParameters: { storageResourceUri: 'https://acct.blob.core.windows.net/backups', token: 'sig=1' },
      folder: 'mhsm-x-1',
    });
  });

  it('an error answer to the start is exit 1 with code and message; a second operation is the service\'s 409', async () => {
    stub.routes.set('PUT /restore', () => ({ status: 409, body: { error: { code: 'Conflict', message: 'Another backup or restore operation is in progress.' } } }));
    const result = await stub.run(['restore', '--from', 'file:///a/b/folder', '--json']);
    assert.equal(result.code, 1);
    assert.deepEqual(JSON.parse(result.stdout), { error: { code: 'Conflict', message: 'Conflict: Another backup or restore operation is in progress.' } });
  });
});
