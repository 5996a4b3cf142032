/**
 * Issue 13: the module built with AddressSanitizer + UBSan (SANITIZE=1 FUZZ=1 clients/pkcs11/build.sh) runs
 * pkcs11-tool's --test, signing, RSA and AES decryption, AES encryption and key generation
 * with no memory error, no
 * undefined behaviour and no leak of the module's own; and the fuzz target runs its mutation corpus clean.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { constants, publicEncrypt } from 'node:crypto';
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

/** Runs pkcs11-tool on the sanitized module; fails on any sanitizer report that involves the module. */
function sanitized(args: string[]): string {
  const r = spawnSync('pkcs11-tool', ['--module', asanLib, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...f.env, LD_PRELOAD: preload(), ASAN_OPTIONS: 'detect_leaks=1:fast_unwind_on_malloc=0:halt_on_error=1',
      // Leaks are judged below (pkcs11-tool has its own); exiting 0 keeps its buffered output.
      LSAN_OPTIONS: 'exitcode=0', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' },
  });
  const err = r.stderr;
  assert.notEqual(r.signal, 'SIGTERM', `pkcs11-tool ${args.join(' ')} timed out\n${r.stdout}\n${err}`);
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
});
