/**
 * Issue 13: OpenSC's pkcs11-tool drives the module against a real Strongroom: slots, mechanisms and objects are
 * listed; every signing mechanism signs (each signature checked with the key's plain public key from the REST
 * API, not by the module); RSA decryption of data encrypted with the public key; key generation; random;
 * and pkcs11-tool's own --test, --test-threads and --test-fork.
 */
import assert from 'node:assert/strict';
import { constants, createHash, publicDecrypt, publicEncrypt, verify, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { libraryPath, startFixture, versionOf, type Fixture, type KeyBundle } from './helpers/fixture.ts';
import { publicKeyOf, run, runOk } from './helpers/run.ts';

let f: Fixture;
const lib = libraryPath;
const keys: Record<string, { bundle: KeyBundle; id: string; pub: KeyObject }> = {};
const data = Buffer.from('the quick brown fox signs through PKCS#11\n');

function tool(...args: string[]): string {
  return runOk('pkcs11-tool', ['--module', lib, ...args], f.env).stdout;
}

function sign(key: string, mechanism: string, input: Buffer, extra: string[] = []): Buffer {
  const inFile = join(f.dir, 'in.bin');
  const outFile = join(f.dir, 'sig.bin');
  writeFileSync(inFile, input);
  tool('--sign', '--id', keys[key]!.id, '-m', mechanism, '-i', inFile, '-o', outFile, ...extra);
  return readFileSync(outFile);
}

describe('pkcs11-tool against the module', { timeout: 180_000 }, () => {
  before(async () => {
    f = await startFixture();
    for (const spec of [
      { name: 'tool-rsa', kty: 'RSA' as const, size: 2048 },
      { name: 'tool-ec256', kty: 'EC' as const, crv: 'P-256' as const },
      { name: 'tool-ec384', kty: 'EC' as const, crv: 'P-384' as const },
      { name: 'tool-ec521', kty: 'EC' as const, crv: 'P-521' as const },
    ]) {
      const bundle = await f.createKey(spec);
      keys[spec.name] = { bundle, id: versionOf(bundle.key.kid), pub: publicKeyOf(bundle) };
    }
  });
  after(async () => { await f?.stop(); });

  it('shows the library, one slot with its token, and the mechanism list', () => {
    assert.match(tool('-I'), /Cryptoki version 3\.0[\s\S]*Manufacturer\s+Strongroom/);
    const slots = tool('-L');
    assert.match(slots, /Slot 0 \(0x0\): Strongroom https:\/\/localhost:/);
    assert.match(slots, /token flags\s+: rng, token initialized, PIN initialized/);
    assert.doesNotMatch(slots, /login required/);
    const mechs = tool('-M');
    for (const m of ['RSA-PKCS', 'RSA-PKCS-PSS', 'RSA-PKCS-OAEP', 'SHA256-RSA-PKCS', 'SHA384-RSA-PKCS-PSS', 'ECDSA', 'ECDSA-SHA256', 'ECDSA-SHA512', 'RSA-PKCS-KEY-PAIR-GEN', 'ECDSA-KEY-PAIR-GEN']) {
      assert.match(mechs, new RegExp(`^\\s*${m},`, 'm'), `mechanism ${m} listed`);
    }
  });

  it('lists each key as a private and a public key object labelled with its name, the version as CKA_ID', () => {
    const objects = tool('-O');
    for (const [name, k] of Object.entries(keys)) {
      const priv = new RegExp(`Private Key Object; (RSA|EC)\\s*\\n\\s*label:\\s+${name}\\n\\s*ID:\\s+${k.id}\\n\\s*Usage:\\s+[^\\n]*sign[\\s\\S]*?Access:\\s+sensitive, always sensitive, never extractable, local`);
      assert.match(objects, priv, `${name} private key`);
      assert.match(objects, new RegExp(`Public Key Object; (RSA 2048 bits|EC  EC_POINT \\d+ bits)[\\s\\S]*?label:\\s+${name}\\n\\s*ID:\\s+${k.id}`), `${name} public key`);
    }
  });

  it('signs with every RSA mechanism; node:crypto verifies each with the plain public key', () => {
    const k = keys['tool-rsa']!;
    for (const [mech, hash] of [['SHA256-RSA-PKCS', 'sha256'], ['SHA384-RSA-PKCS', 'sha384'], ['SHA512-RSA-PKCS', 'sha512']] as const) {
      assert.ok(verify(hash, data, k.pub, sign('tool-rsa', mech, data)), mech);
    }
    for (const [mech, hash, len] of [['SHA256-RSA-PKCS-PSS', 'sha256', 32], ['SHA384-RSA-PKCS-PSS', 'sha384', 48], ['SHA512-RSA-PKCS-PSS', 'sha512', 64]] as const) {
      const sig = sign('tool-rsa', mech, data);
      assert.ok(verify(hash, data, { key: k.pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: len }, sig), mech);
    }
    // Raw PSS over a digest the caller made.
    const digest = createHash('sha256').update(data).digest();
    const pss = sign('tool-rsa', 'RSA-PKCS-PSS', digest, ['--hash-algorithm', 'SHA256', '--mgf', 'MGF1-SHA256', '--salt-len', '32']);
    assert.ok(verify('sha256', data, { key: k.pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss), 'RSA-PKCS-PSS');
    // Raw PKCS#1 v1.5 (what TLS 1.2 and libp11 send: a DigestInfo) : the public key recovers exactly the input.
    const raw = sign('tool-rsa', 'RSA-PKCS', data);
    assert.deepEqual(publicDecrypt({ key: k.pub, padding: constants.RSA_PKCS1_PADDING }, raw), data, 'RSA-PKCS');
  });

  it('signs with ECDSA on P-256, P-384 and P-521, hash-and-sign and over a digest', () => {
    for (const [name, hashes] of [['tool-ec256', ['sha256', 'sha384', 'sha512']], ['tool-ec384', ['sha256', 'sha384']], ['tool-ec521', ['sha256', 'sha512']]] as const) {
      const k = keys[name]!;
      for (const h of hashes) {
        const sig = sign(name, `ECDSA-${h.toUpperCase()}`, data);
        assert.ok(verify(h, data, { key: k.pub, dsaEncoding: 'ieee-p1363' }, sig), `${name} ECDSA-${h}`);
      }
      const digest = createHash('sha256').update(data).digest();
      const sig = sign(name, 'ECDSA', digest);
      assert.ok(verify('sha256', data, { key: k.pub, dsaEncoding: 'ieee-p1363' }, sig), `${name} ECDSA raw`);
    }
  });

  it('verifies in the module and rejects a changed signature', () => {
    const sigFile = join(f.dir, 'v.sig');
    const inFile = join(f.dir, 'v.in');
    writeFileSync(inFile, data);
    const sig = sign('tool-ec256', 'ECDSA-SHA256', data);
    writeFileSync(sigFile, sig);
    assert.match(tool('--verify', '--id', keys['tool-ec256']!.id, '-m', 'ECDSA-SHA256', '-i', inFile, '--signature-file', sigFile), /Signature is valid/);
    sig[5] = (sig[5] ?? 0) ^ 1;
    writeFileSync(sigFile, sig);
    const bad = run('pkcs11-tool', ['--module', lib, '--verify', '--id', keys['tool-ec256']!.id, '-m', 'ECDSA-SHA256', '-i', inFile, '--signature-file', sigFile], f.env);
    assert.match(bad.stdout + bad.stderr, /Invalid signature|CKR_SIGNATURE_INVALID/);
  });

  it('decrypts RSA PKCS#1 v1.5, OAEP SHA-1 and OAEP SHA-256 made with the public key', () => {
    const k = keys['tool-rsa']!;
    const secret = Buffer.from('a session key, 32 bytes long....');
    const cases = [
      { args: ['-m', 'RSA-PKCS'], padding: constants.RSA_PKCS1_PADDING, oaepHash: undefined },
      { args: ['-m', 'RSA-PKCS-OAEP', '--hash-algorithm', 'SHA-1', '--mgf', 'MGF1-SHA1'], padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      { args: ['-m', 'RSA-PKCS-OAEP', '--hash-algorithm', 'SHA256', '--mgf', 'MGF1-SHA256'], padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    ];
    for (const c of cases) {
      const ct = publicEncrypt({ key: k.pub, padding: c.padding, ...(c.oaepHash === undefined ? {} : { oaepHash: c.oaepHash }) }, secret);
      const ctFile = join(f.dir, 'ct.bin');
      writeFileSync(ctFile, ct);
      const out = runOk('pkcs11-tool', ['--module', lib, '--decrypt', '--id', k.id, ...c.args, '-i', ctFile], f.env);
      assert.equal(out.stdout, secret.toString(), c.args.join(' '));
    }
  });

  it('generates RSA and EC key pairs in the service and signs with them at once', async () => {
    tool('--keypairgen', '--key-type', 'rsa:2048', '--label', 'tool-gen-rsa', '--usage-sign', '--usage-decrypt');
    tool('--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'tool-gen-ec', '--usage-sign');
    for (const name of ['tool-gen-rsa', 'tool-gen-ec']) {
      const answer = await f.rest<KeyBundle>('GET', `/keys/${name}/`);
      assert.equal(answer.status, 200, name);
      keys[name] = { bundle: answer.body, id: versionOf(answer.body.key.kid), pub: publicKeyOf(answer.body) };
    }
    assert.deepEqual(keys['tool-gen-rsa']!.bundle.key.key_ops?.toSorted(), ['decrypt', 'encrypt', 'sign', 'verify']);
    assert.ok(verify('sha256', data, keys['tool-gen-rsa']!.pub, sign('tool-gen-rsa', 'SHA256-RSA-PKCS', data)));
    assert.ok(verify('sha256', data, { key: keys['tool-gen-ec']!.pub, dsaEncoding: 'ieee-p1363' }, sign('tool-gen-ec', 'ECDSA-SHA256', data)));
  });

  it('deletes a key with --delete-object (soft delete in the service)', async () => {
    tool('--delete-object', '--type', 'privkey', '--id', keys['tool-gen-ec']!.id);
    const answer = await f.rest<unknown>('GET', '/keys/tool-gen-ec/');
    assert.equal(answer.status, 404);
    assert.equal((await f.rest<unknown>('GET', '/deletedkeys/tool-gen-ec')).status, 200);
  });

  it('generates random bytes through the service', () => {
    const out = join(f.dir, 'random.bin');
    tool('--generate-random', '300', '-o', out);
    const bytes = readFileSync(out);
    assert.equal(bytes.length, 300);
    assert.notDeepEqual(bytes.subarray(0, 32), Buffer.alloc(32));
  });

  it('passes pkcs11-tool --test, --test-threads and --test-fork', () => {
    const t = runOk('pkcs11-tool', ['--module', lib, '--test', '--login', '--pin', 'ignored'], f.env);
    assert.match(t.stdout + t.stderr, /No errors/);
    // The main thread runs --test meanwhile: pkcs11-tool sleeps 30 s when it finishes before its threads.
    const threads = ['ILGISLT0', 'ILGISLT0', 'INGISLT0', 'ILGI'].flatMap((x) => ['--test-threads', x]);
    const th = runOk('pkcs11-tool', ['--module', lib, '--use-locking', ...threads, '--test', '--login', '--pin', 'x'], f.env);
    assert.match(th.stdout + th.stderr, /test_threads all threads have ended with CKR_OK/);
    const fork = runOk('pkcs11-tool', ['--module', lib, '--test-fork', '--test', '--login', '--pin', 'x'], f.env);
    assert.match(fork.stdout + fork.stderr, /Calling C_Initialize in forked child process[\s\S]*No errors/);
  });
});
