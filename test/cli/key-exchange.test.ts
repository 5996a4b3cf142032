/**
 * Issue 11, the operator's side of BYOK and PEM import, through `npx strongroom` processes and a real server:
 *
 *   BYOK  a KEK is created, `key download` writes its public key (checked by `openssl pkey`), `byok blob` wraps
 *         an RSA, EC (SEC1 and encrypted PKCS#8) and AES key for it (0600 .byok files), `key import --byok-file`
 *         imports them; the imported keys match the originals, and the audit record names the KEK version
 *   PEM   `key import --pem-file` with keys made by `openssl genpkey`, `genrsa -traditional` (PKCS#1), `ecparam
 *         -genkey` (SEC1) and `pkcs8 -topk8 -v2 aes-256-cbc` (encrypted); a wrong password is exit 1, and no
 *         password or private key ever reaches the output
 *   usage --help exits 0, bad usage exits 2
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { constants, createHash, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runStrongroom, type CliRun } from '../../harness/cli-process.ts';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, projectRoot, startServer, type StartedServer } from '../../harness/server-process.ts';
import { runOpenssl } from '../helpers/openssl-byok.ts';

let server: StartedServer;
let api: ReturnType<typeof apiClient>;
let dir: string;
let kekKid: string;
const PASSWORD = 'correct horse battery staple';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-key-exchange-'));
  server = await startServer();
  api = apiClient(server, await accessToken(server));
  const kek = await api.post('/keys/cli-kek/create', { kty: 'RSA-HSM', key_size: 3072, key_ops: ['import'] });
  assert.equal(kek.status, 200, kek.text);
  kekKid = kek.json.key.kid;
});
after(async () => {
  await disposeServer(server);
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string) => join(dir, name);
const online = (args: string[]) => runStrongroom(args, { dataDir: server.dataDir });

/** `strongroom …` without --data-dir: `byok blob` is offline and takes no connection options. */
function offline(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'strongroom.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A key made by the openssl CLI into `name`. */
function opensslKeyFile(name: string, args: (out: string) => string[]): string {
  runOpenssl(args(file(name)));
  return file(name);
}

const publicJwkOf = (pemFile: string, passphrase?: string) =>
  createPublicKey(createPrivateKey({ key: readFileSync(pemFile), ...(passphrase === undefined ? {} : { passphrase }) })).export({ format: 'jwk' });

async function assertSignsLikeOriginal(name: string, pemFile: string, alg: 'PS256' | 'ES256' | 'ES384', passphrase?: string): Promise<void> {
  const hash = alg === 'ES384' ? 'sha384' : 'sha256';
  const value = createHash(hash).update('message').digest();
  const signed = await api.post(`/keys/${name}/sign`, { alg, value: value.toString('base64url') });
  assert.equal(signed.status, 200, signed.text);
  const key = createPublicKey(createPrivateKey({ key: readFileSync(pemFile), ...(passphrase === undefined ? {} : { passphrase }) }));
  const options = alg === 'PS256' ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { key, dsaEncoding: 'ieee-p1363' as const };
  assert.ok(verify(hash, Buffer.from('message'), options, Buffer.from(signed.json.value, 'base64url')), `${name}: signature must verify with the original key`);
}

describe('BYOK with the CLI: key download → byok blob → key import --byok-file', () => {
  it('key download writes the KEK public key as SPKI PEM (and DER), which openssl reads', async () => {
    const result = await online(['key', 'download', '--name', 'cli-kek', '--out', file('kek.pem')]);
    assert.equal(result.code, 0, result.stderr);
    const text = runOpenssl(['pkey', '-pubin', '-in', file('kek.pem'), '-noout', '-text']).toString();
    assert.match(text, /Public-Key: \(3072 bit\)/);
    const kek = (await api.get('/keys/cli-kek')).json.key;
    assert.equal(createPublicKey(readFileSync(file('kek.pem'))).export({ format: 'jwk' }).n, kek.n);
    const der = await online(['key', 'download', '--name', 'cli-kek', '--version', kekKid.split('/').pop() ?? '', '--out', file('kek.der'), '--encoding', 'DER']);
    assert.equal(der.code, 0, der.stderr);
    assert.equal(createPublicKey({ key: readFileSync(file('kek.der')), format: 'der', type: 'spki' }).export({ format: 'jwk' }).n, kek.n);
    const again = await online(['key', 'download', '--name', 'cli-kek', '--out', file('kek.pem')]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; give --force/);
  });

  it('key download of an oct key, or of a key that does not exist, fails clearly', async () => {
    assert.equal((await api.post('/keys/cli-aes/create', { kty: 'oct-HSM', key_size: 256 })).status, 200);
    const oct = await online(['key', 'download', '--name', 'cli-aes']);
    assert.equal(oct.code, 1);
    assert.match(oct.stderr, /symmetric key has no public key/);
    const missing = await online(['key', 'download', '--name', 'no-such-key', '--json']);
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.stdout).error.code, 'KeyNotFound');
  });

  it('an RSA key (PKCS#1 from genrsa -traditional): blob, import, same key, and the audit names the KEK version', async () => {
    const keyFile = opensslKeyFile('rsa.pem', (out) => ['genrsa', '-traditional', '-out', out, '2048']);
    const blob = await offline(['byok', 'blob', '--kek', file('kek.pem'), '--kek-kid', kekKid, '--key', keyFile, '--out', file('rsa.byok')]);
    assert.equal(blob.code, 0, blob.stderr);
    assert.equal(statSync(file('rsa.byok')).mode & 0o777, 0o600);
    const document = JSON.parse(readFileSync(file('rsa.byok'), 'utf8'));
    assert.equal(document.header.kid, kekKid);
    assert.equal(document.header.enc, 'CKM_RSA_AES_KEY_WRAP');
    assert.match(document.generator, /^strongroom byok blob/);
    assert.equal(Buffer.from(document.ciphertext, 'base64url').length > 384, true);
    const imported = await online(['key', 'import', '--name', 'cli-byok-rsa', '--byok-file', file('rsa.byok'), '--kty', 'RSA', '--ops', 'sign,verify', '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    const bundle = JSON.parse(imported.stdout);
    assert.equal(bundle.key.n, publicJwkOf(keyFile).n);
    assert.deepEqual(bundle.key.key_ops, ['sign', 'verify']);
    await assertSignsLikeOriginal('cli-byok-rsa', keyFile, 'PS256');
    const audit = await online(['audit', 'query', '--key', 'cli-byok-rsa', '--json']);
    assert.equal(audit.code, 0, audit.stderr);
    type Printed = { operationName: string; entry: { properties: Record<string, unknown> } };
    const record = (JSON.parse(audit.stdout).value as Printed[]).find((r) => r.operationName === 'KeyImport');
    assert.ok(record !== undefined, audit.stdout);
    // The import's record names the KEK version its blob used, and carries nothing of the blob.
    assert.equal(record.entry.properties['kek'], 'cli-kek');
    assert.equal(record.entry.properties['kekVersion'], kekKid.split('/').pop());
    assert.doesNotMatch(JSON.stringify(record), new RegExp(document.ciphertext.slice(0, 40)));
  });

  it('EC keys (SEC1 P-256 from ecparam; encrypted PKCS#8 P-384) and a raw AES key file', async () => {
    const sec1 = opensslKeyFile('ec.pem', (out) => ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', out]);
    const p384 = opensslKeyFile('ec384.pem', (out) => ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', out]);
    runOpenssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', p384, '-out', file('ec384.p8'), '-passout', `pass:${PASSWORD}`]);
    writeFileSync(file('password.txt'), `${PASSWORD}\n`, { mode: 0o600 });
    writeFileSync(file('aes.key'), runOpenssl(['rand', '32']), { mode: 0o600 });
    const cases = [
      ['ec.byok', sec1, [], ['--kty', 'EC', '--curve', 'P-256'], 'cli-byok-ec'],
      ['ec384.byok', file('ec384.p8'), ['--pem-password-file', file('password.txt')], ['--kty', 'EC', '--curve', 'P-384'], 'cli-byok-ec384'],
      ['aes.byok', file('aes.key'), [], ['--kty', 'oct'], 'cli-byok-aes'],
    ] as const;
    for (const [out, key, password, kind, name] of cases) {
      const blob = await offline(['byok', 'blob', '--kek', file('kek.pem'), '--kek-kid', kekKid, '--key', key, ...password, '--out', file(out), '--json']);
      assert.equal(blob.code, 0, blob.stderr);
      const imported = await online(['key', 'import', '--name', name, '--byok-file', file(out), ...kind]);
      assert.equal(imported.code, 0, imported.stderr);
    }
    assert.equal((await api.get('/keys/cli-byok-ec')).json.key.x, publicJwkOf(sec1).x);
    await assertSignsLikeOriginal('cli-byok-ec', sec1, 'ES256');
    await assertSignsLikeOriginal('cli-byok-ec384', file('ec384.p8'), 'ES384', PASSWORD);
    const wrapped = runOpenssl(['enc', '-id-aes256-wrap', '-K', readFileSync(file('aes.key')).toString('hex'), '-iv', 'A6A6A6A6A6A6A6A6'], Buffer.alloc(32, 5));
    const unwrapped = await api.post('/keys/cli-byok-aes/unwrapkey', { alg: 'A256KW', value: wrapped.toString('base64url') });
    assert.deepEqual(Buffer.from(unwrapped.json.value, 'base64url'), Buffer.alloc(32, 5));
  });

  it('a blob whose kty does not match is refused by the service (exit 1), and nothing is stored', async () => {
    const result = await online(['key', 'import', '--name', 'cli-byok-mismatch', '--byok-file', file('ec.byok'), '--kty', 'RSA']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /BadParameter: The transfer blob holds an EC-HSM key, but the request's kty is RSA-HSM/);
    assert.equal((await api.get('/keys/cli-byok-mismatch')).status, 404);
  });

  it('byok blob refuses an existing --out, a wrong password and a public key as --key', async () => {
    const exists = await offline(['byok', 'blob', '--kek', file('kek.pem'), '--kek-kid', kekKid, '--key', file('ec.pem'), '--out', file('ec.byok')]);
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /exists; give --force/);
    const wrong = await offline(['byok', 'blob', '--kek', file('kek.pem'), '--kek-kid', kekKid, '--key', file('ec384.p8'), '--pem-password', 'wrong', '--out', file('never.byok')]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /wrong password/);
    const publicOnly = await offline(['byok', 'blob', '--kek', file('kek.pem'), '--kek-kid', kekKid, '--key', file('kek.pem'), '--out', file('never.byok')]);
    assert.equal(publicOnly.code, 1);
    assert.match(publicOnly.stderr, /holds no private key/);
    assert.throws(() => statSync(file('never.byok')), /ENOENT/);
  });
});

describe('PEM import with the CLI: key import --pem-file', () => {
  const pemCases = [
    ['pkcs8-rsa', (out: string) => ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', out], 'RSA-HSM', 'PS256'],
    ['pkcs8-ec', (out: string) => ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out], 'EC-HSM', 'ES256'],
    ['pkcs1-rsa', (out: string) => ['genrsa', '-traditional', '-out', out, '2048'], 'RSA-HSM', 'PS256'],
    ['sec1-ec', (out: string) => ['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', out], 'EC-HSM', 'ES384'],
  ] as const;

  for (const [name, make, kty, alg] of pemCases) {
    it(`${name}: imported with --ops sign,verify, same public key, signs like the original`, async () => {
      const pem = opensslKeyFile(`${name}.pem`, make);
      const result = await online(['key', 'import', '--name', `pem-${name}`, '--pem-file', pem, '--ops', 'sign,verify', '--json']);
      assert.equal(result.code, 0, result.stderr);
      const key = JSON.parse(result.stdout).key;
      assert.equal(key.kty, kty);
      assert.deepEqual(key.key_ops, ['sign', 'verify']);
      const original = publicJwkOf(pem);
      assert.equal(key.n ?? key.x, original.n ?? original.x);
      assert.equal(key.d, undefined);
      await assertSignsLikeOriginal(`pem-${name}`, pem, alg);
    });
  }

  it('an encrypted PKCS#8 key (pkcs8 -topk8 -v2 aes-256-cbc) with --pem-password; a wrong or missing password is exit 1', async () => {
    const plain = opensslKeyFile('enc-source.pem', (out) => ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', out]);
    runOpenssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', plain, '-out', file('enc.p8'), '-passout', `pass:${PASSWORD}`]);
    const wrong = await online(['key', 'import', '--name', 'pem-encrypted', '--pem-file', file('enc.p8'), '--pem-password', 'not-it']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /cannot decrypt .*enc\.p8: wrong password/);
    assert.doesNotMatch(wrong.stderr + wrong.stdout, /not-it/);
    const missing = await online(['key', 'import', '--name', 'pem-encrypted', '--pem-file', file('enc.p8')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /is encrypted; give its password/);
    assert.equal((await api.get('/keys/pem-encrypted')).status, 404);
    const result = await online(['key', 'import', '--name', 'pem-encrypted', '--pem-file', file('enc.p8'), '--pem-password', PASSWORD]);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(PASSWORD));
    assert.doesNotMatch(result.stdout, new RegExp(String(createPrivateKey(readFileSync(plain)).export({ format: 'jwk' }).d).slice(0, 20)));
    await assertSignsLikeOriginal('pem-encrypted', plain, 'PS256');
  });
});

describe('key import --exportable --policy', () => {
  it('imports an exportable key with its release policy; --exportable alone is the service\'s refusal (exit 1)', async () => {
    const pem = opensslKeyFile('exportable.pem', (out) => ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
    const policy = { version: '1.0.0', anyOf: [{ authority: 'https://attest.example', allOf: [{ claim: 'x-ms-isolation-tee.x-ms-attestation-type', equals: 'sevsnpvm' }] }] };
    writeFileSync(file('policy.json'), JSON.stringify(policy));
    const alone = await online(['key', 'import', '--name', 'pem-exportable', '--pem-file', pem, '--exportable']);
    assert.equal(alone.code, 1);
    assert.match(alone.stderr, /BadParameter: .*release policy/i);
    assert.equal((await api.get('/keys/pem-exportable')).status, 404);
    const result = await online(['key', 'import', '--name', 'pem-exportable', '--pem-file', pem, '--exportable', '--policy', file('policy.json'), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const bundle = JSON.parse(result.stdout);
    assert.equal(bundle.attributes.exportable, true);
    assert.deepEqual(JSON.parse(Buffer.from(bundle.release_policy.data, 'base64url').toString()), policy);
  });
});

describe('usage', () => {
  it('--help of each command exits 0; bad usage exits 2', async () => {
    for (const command of [['key', 'import'], ['key', 'download'], ['byok', 'blob']]) {
      const help = await offline([...command, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`Usage: strongroom ${command.join(' ')}`));
    }
    for (const args of [
      ['key', 'import', '--name', 'x'],
      ['key', 'import', '--name', 'x', '--pem-file', 'a.pem', '--byok-file', 'a.byok'],
      ['key', 'import', '--name', 'x', '--byok-file', 'a.byok'],
      ['key', 'import', '--name', 'x', '--byok-file', 'a.byok', '--kty', 'DSA'],
      ['key', 'download'],
      ['key', 'download', '--name', 'x', '--encoding', 'DER'],
      ['byok', 'blob', '--kek', 'k.pem', '--kek-kid', 'https://h/keys/k/v1', '--key', 'x.pem'],
      ['byok', 'blob', '--kek', 'k.pem', '--kek-kid', 'not-a-kid', '--key', 'x.pem', '--out', 'o.byok'],
      ['byok', 'blob', '--no-such-option'],
    ]) {
      const result = await offline(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    }
  });
});
