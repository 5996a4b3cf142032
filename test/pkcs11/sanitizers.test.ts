/**
 * Issue 13: the module built with AddressSanitizer + UBSan (SANITIZE=1 FUZZ=1 clients/pkcs11/build.sh) runs
 * pkcs11-tool's --test, signing, RSA and AES decryption, AES encryption and key generation, and C_WrapKey /
 * C_UnwrapKey with CKM_RSA_AES_KEY_WRAP (through helpers/rsa-aes-wrap.c), with no memory error, no
 * undefined behaviour and no leak of the module's own; and the fuzz target runs its mutation corpus clean.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { constants, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { libraryPath, moduleDir, startFixture, versionOf, type Fixture } from './helpers/fixture.ts';
import { publicKeyOf } from './helpers/run.ts';

const asanDir = join(libraryPath, '..', 'asan');
const asanLib = join(asanDir, 'libstrongroom-pkcs11.so');
let f: Fixture;

function preload(): string {
  const lib = (name: string) => execFileSync('gcc', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
  return `${lib('libasan.so')}:${lib('libubsan.so')}`;
}

/** Runs pkcs11-tool (or `command` given the module's path first) on the sanitized module; fails on any sanitizer
 * report that involves the module. */
function sanitized(args: string[], command = 'pkcs11-tool', input?: string): string {
  const r = spawnSync(command, command === 'pkcs11-tool' ? ['--module', asanLib, ...args] : [asanLib, ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...f.env, LD_PRELOAD: preload(), ASAN_OPTIONS: 'detect_leaks=1:fast_unwind_on_malloc=0:halt_on_error=1',
      // Leaks are judged below (pkcs11-tool has its own); exiting 0 keeps its buffered output.
      LSAN_OPTIONS: 'exitcode=0', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' },
  });
  const err = r.stderr;
  assert.notEqual(r.signal, 'SIGTERM', `${command} ${args.join(' ')} timed out\n${r.stdout}\n${err}`);
  assert.doesNotMatch(err, /ERROR: AddressSanitizer|runtime error:/, err);
  // pkcs11-tool leaks a little of its own (and what those blocks point to); no directly leaked block may have been
  // allocated by the module.
  for (const leak of err.split(/\n(?=(?:Direct|Indirect) leak)/).filter((b) => /^Direct leak of/.test(b))) {
    assert.doesNotMatch(leak, /libstrongroom-pkcs11|clients\/pkcs11/, leak);
  }
  return r.stdout + err;
}

describe('the module under AddressSanitizer/UBSan, and the fuzz target', { timeout: 240_000 }, () => {
  before(async () => {
    let stale = true;
    try { stale = statSync(asanLib).mtimeMs < statSync(libraryPath).mtimeMs; } catch { stale = true; }
    if (stale) execFileSync('bash', [join(moduleDir, 'build.sh')], { env: { ...process.env, SANITIZE: '1', FUZZ: '1' }, stdio: 'inherit' });
    f = await startFixture({ config: { generate_certs: true } });
  });
  after(async () => { await f?.stop(); });

  it('runs the fuzz target over 100 000 mutated templates, JSON answers and configurations', () => {
    const out = execFileSync(join(asanDir, 'fuzz-template'), ['100000'], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } });
    assert.match(out, /100000 inputs, no crash/);
  });

  it('passes pkcs11-tool --test, signs, decrypts and generates keys cleanly', async () => {
    const rsa = await f.createKey({ name: 'asan-rsa', kty: 'RSA' });
    await f.createKey({ name: 'asan-ec', kty: 'EC' });
    // No --test-fork here: under GCC 12's AddressSanitizer a child forked while another thread was starting (the
    // module's refresher) can inherit the sanitizer allocator's lock and hang in its first free() — a sanitizer
    // limitation, seen in about one run in five. The fork test runs on the plain build (pkcs11-tool.test.ts).
    assert.match(sanitized(['--test', '--login', '--pin', 'x']), /No errors/);
    const input = join(f.dir, 'in.bin');
    writeFileSync(input, Buffer.from('sanitized'));
    sanitized(['--sign', '--id', versionOf(rsa.key.kid), '-m', 'SHA256-RSA-PKCS-PSS', '-i', input, '-o', join(f.dir, 'sig.bin')]);
    writeFileSync(input, publicEncrypt({ key: publicKeyOf(rsa), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('ok')));
    assert.match(sanitized(['--decrypt', '--id', versionOf(rsa.key.kid), '-m', 'RSA-PKCS-OAEP', '--hash-algorithm', 'SHA256', '--mgf', 'MGF1-SHA256', '-i', input]), /^ok/);
    const aes = await f.createKey({ name: 'asan-aes', kty: 'oct', size: 256 });
    writeFileSync(input, Buffer.from('AES through the sanitized module'));
    const iv = ['--iv', '000102030405060708090a0b0c0d0e0f'];
    sanitized(['--encrypt', '--id', versionOf(aes.key.kid), '-m', 'AES-CBC-PAD', ...iv, '-i', input, '-o', join(f.dir, 'aes.bin')]);
    assert.match(sanitized(['--decrypt', '--id', versionOf(aes.key.kid), '-m', 'AES-CBC-PAD', ...iv, '-i', join(f.dir, 'aes.bin')]), /AES through the sanitized module/);
    sanitized(['--keypairgen', '--key-type', 'EC:secp384r1', '--label', 'asan-gen']);
    sanitized(['--keygen', '--key-type', 'AES:16', '--label', 'asan-gen-aes', '--sensitive']);
    assert.match(sanitized(['-O']), /label:\s+asan-gen/);
  });

  it('wraps (length query, short buffer, real call) and unwraps with CKM_RSA_AES_KEY_WRAP cleanly', async () => {
    const policy = { data: Buffer.from(JSON.stringify({ version: '1.0.0', anyOf: [{ authority: 'https://attest.localhost', allOf: [{ claim: 'x', equals: 'y' }] }] })).toString('base64url') };
    for (const [name, body] of [
      ['asan-wrap-ec', { kty: 'EC', crv: 'P-256', attributes: { exportable: true, wrapWithTrusted: false }, release_policy: policy }],
      ['asan-wrap-aes', { kty: 'oct', key_size: 128, attributes: { exportable: true, wrapWithTrusted: false }, release_policy: policy }],
      ['asan-kek', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['import'] }],
      ['asan-guarded', { kty: 'EC', crv: 'P-256', attributes: { exportable: true }, release_policy: policy }],
    ] as const) assert.equal((await f.rest('POST', `/keys/${name}/create`, body)).status, 200, name);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const hex = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64url').toString('hex');
    const driver = join(f.dir, 'rsa-aes-wrap');
    execFileSync('cc', ['-std=c11', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-o', driver, join(import.meta.dirname, 'helpers', 'rsa-aes-wrap.c'), '-ldl']);
    const commands = [
      'open 0', 'find 0 public asan-kek', 'find 0 private asan-kek', 'find 0 private asan-wrap-ec', 'find 0 secret asan-wrap-aes',
      'wrap 0 sha1 256 - @1 @3 -1', 'wrap 0 sha1 256 - @1 @3 10', 'wrap 0 sha1 256 - @1 @3 4096',
      'unwrap 0 sha1 256 @2 #7 ec asan-wrap-ec-copy',
      'wrap 0 sha256 256 - @1 @4 4096', 'unwrap 0 sha256 256 @2 #9 aes asan-wrap-aes-copy 16',
      'find 0 private asan-guarded', 'wrap 0 sha1 256 - @1 @11 4096', 'wrap 0 sha512 256 - @1 @3 4096', 'unwrap 0 sha1 256 @2 #7 aes never',
      `pubkey 0 ${hex(small.n)} ${hex(small.e)} small`, 'wrap 0 sha1 256 - @15 @3 4096',
    ];
    const out = sanitized([], driver, commands.join('\n') + '\n');
    const answers = out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { rv?: string });
    assert.deepEqual([5, 6, 7, 8, 9, 10, 12, 13, 14, 16].map((i) => answers[i]?.rv), [
      'CKR_OK', 'CKR_BUFFER_TOO_SMALL', 'CKR_OK', 'CKR_OK', 'CKR_OK', 'CKR_OK',
      'CKR_KEY_NOT_WRAPPABLE', 'CKR_MECHANISM_PARAM_INVALID', 'CKR_WRAPPED_KEY_LEN_RANGE', 'CKR_WRAPPING_KEY_SIZE_RANGE',
    ], out);
  });
});
