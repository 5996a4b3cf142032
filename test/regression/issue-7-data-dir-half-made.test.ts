/**
 * Issue 7, Low #6 (and the aftermath of Medium #3): a start that finds a half-made data directory, as a crash of
 * the old code left it, must say in one line what is wrong and what to do, and must never make a new KEK next to
 * an existing database. The states below are what the old two-step writes left behind: an empty or short KEK
 * file (first start died between create and write), an empty or half-written `admin-credentials.json` (a start
 * on another port died between truncate and write). Each is started for real and must exit 1 with one line
 * naming the file, leaving the files as they were.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot, startServer, temporaryDataDir } from '../../harness/server-process.ts';

const main = join(projectRoot, 'src', 'main.ts');

/** Starts `strongroom serve` on `dataDir` as an operator would; a start that does not refuse is killed after 30 s. */
function serve(dataDir: string) {
  const result = spawnSync(process.execPath, [main, 'serve', '--data-dir', dataDir, '--port', '0', '--workers', '1'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The refusal: exit code 1 and exactly one line on stderr. */
function assertRefused(result: { status: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.status, 1, `exit code (stderr: ${result.stderr})`);
  assert.equal(result.stderr.split('\n').filter((line) => line !== '').length, 1, `one line: ${result.stderr}`);
  assert.match(result.stderr, /^strongroom: cannot start: /);
  assert.match(result.stderr, pattern);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('an unseal key file a crashed first start left short', () => {
  for (const length of [0, 16, 31]) {
    test(`${length} bytes and no database yet: refused (remove it and start again), not replaced`, () => {
      const dataDir = temporaryDataDir();
      try {
        const kek = join(dataDir, 'unseal-key');
        writeFileSync(kek, Buffer.alloc(length, 1), { mode: 0o600 });
        const result = serve(dataDir);
        assertRefused(result, new RegExp(`${escape(kek)} is ${length} bytes long, not a 32-byte unseal key`));
        assert.match(result.stderr, /no database uses it yet: remove it/);
        assert.deepEqual(readFileSync(kek), Buffer.alloc(length, 1));
        assert.deepEqual(readdirSync(dataDir), ['unseal-key'], 'nothing else is created');
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});

describe('a data directory with a database', () => {
  const dataDir = temporaryDataDir();
  const kek = join(dataDir, 'unseal-key');
  const credentials = join(dataDir, 'admin-credentials.json');
  let original = { kek: Buffer.alloc(0), credentials: '' };
  before(async () => {
    await (await startServer({ dataDir })).stop();
    original = { kek: readFileSync(kek), credentials: readFileSync(credentials, 'utf8') };
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const length of [0, 31]) {
    test(`and a ${length}-byte unseal key: refused (restore it from your backup), and no new key is made`, () => {
      writeFileSync(kek, original.kek.subarray(0, length), { mode: 0o600 });
      const result = serve(dataDir);
      assertRefused(result, new RegExp(`${escape(kek)} is ${length} bytes long`));
      assert.match(result.stderr, /domain in .*strongroom\.db needs the original: restore it from your backup/);
      assert.deepEqual(readFileSync(kek), original.kek.subarray(0, length));
      writeFileSync(kek, original.kek, { mode: 0o600 });
    });
  }

  test('and no unseal key: refused, and no new key is made', () => {
    rmSync(kek);
    assertRefused(serve(dataDir), /unseal-key is missing: it is the only key that opens this instance's domain; restore it from your backup/);
    assert.equal(existsSync(kek), false);
    writeFileSync(kek, original.kek, { mode: 0o600 });
  });

  const damaged: Array<[string, string, RegExp]> = [
    ['empty (truncated, never written)', '', /admin-credentials\.json is empty: put back your saved copy of it, or remove it/],
    ['half-written', '{\n  "tenantId": "7ff7e2', /admin-credentials\.json is not the administrator credentials file/],
    ['valid JSON without the secret', '{"tenantId":"t"}\n', /admin-credentials\.json is not the administrator credentials file/],
  ];
  for (const [what, content, pattern] of damaged) {
    test(`and a credentials file that is ${what}: refused before listening, the file left as it is`, () => {
      writeFileSync(credentials, content, { mode: 0o600 });
      const result = serve(dataDir);
      assertRefused(result, new RegExp(`${escape(credentials)} `));
      assert.equal(result.stdout, '', 'it never listened');
      assert.match(result.stderr, pattern);
      assert.equal(readFileSync(credentials, 'utf8'), content);
    });
  }

  test('restored, it starts again with the same administrator', async () => {
    writeFileSync(credentials, original.credentials, { mode: 0o600 });
    const server = await startServer({ dataDir });
    await server.stop();
    assert.equal(server.credentials.clientSecret, (JSON.parse(original.credentials) as { clientSecret: string }).clientSecret);
  });

  test('with the credentials file removed (the operator moved it away), it starts', async () => {
    rmSync(credentials);
    // The harness reads the credentials file, so start by hand and wait for the listening line.
    const server = spawn(process.execPath, [main, 'serve', '--data-dir', dataDir, '--port', '0', '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); if (out.includes('\n')) resolve(out); });
      server.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    server.removeAllListeners('exit');
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    assert.match(line, /^Strongroom listening on https:/);
    assert.equal(existsSync(credentials), false, 'no new credentials file appears');
  });
});
