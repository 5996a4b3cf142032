/**
 * Issue 7, Low #9: only the KEK's permissions were checked, so a world- or group-readable
 * `admin-credentials.json` or database (`strongroom.db`, `-wal`, `-shm`) and a data directory others can write to
 * were accepted silently. Each is now refused at start with one line naming the file and the chmod to run; the
 * public `tls/ca.pem` may stay 0644 and a data directory may be 0755. The real service is started on a prepared
 * data directory for the files an operator is most likely to get wrong; the rest are checked on the check itself.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { instancePaths } from '../../src/server/instance.ts';
import { checkDataDirectory } from '../../src/server/data-directory-checks.ts';
import { projectRoot, startServer, temporaryDataDir } from '../../harness/server-process.ts';

const main = join(projectRoot, 'src', 'main.ts');

/** Starts `strongroom serve` on `dataDir`; a start that does not refuse is killed after 30 s (status null). */
function serve(dataDir: string) {
  return spawnSync(process.execPath, [main, 'serve', '--data-dir', dataDir, '--port', '0', '--workers', '1'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('the real service refuses', () => {
  const dataDir = temporaryDataDir();
  const paths = instancePaths(dataDir);
  before(async () => { await (await startServer({ dataDir })).stop(); });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const cases: Array<[string, string, number, string]> = [
    ['a world-readable credentials file', paths.adminCredentials, 0o644, `is readable by other users; run: chmod 600 ${paths.adminCredentials}`],
    ['a group-readable credentials file', paths.adminCredentials, 0o640, `is readable by other users; run: chmod 600 ${paths.adminCredentials}`],
    ['a world-readable database', paths.database, 0o644, `is readable by other users; run: chmod 600 ${paths.database}`],
    ['a group-writable database', paths.database, 0o620, `is writable by other users; run: chmod 600 ${paths.database}`],
    ['a group-writable data directory', dataDir, 0o770, `is writable by other users; run: chmod go-w ${dataDir}`],
    ['a world-writable data directory', dataDir, 0o757, `is writable by other users; run: chmod go-w ${dataDir}`],
  ];
  for (const [what, path, mode, message] of cases) {
    test(`${what} (${mode.toString(8)}): exit code 1 and one line naming it`, () => {
      const intended = path === dataDir ? 0o700 : 0o600;
      chmodSync(path, mode);
      try {
        const result = serve(dataDir);
        assert.equal(result.status, 1, `exit code (stderr: ${result.stderr})`);
        assert.equal(result.stderr, `strongroom: cannot start: ${path} ${message}\n`);
        assert.equal(result.stdout, '');
      } finally {
        chmodSync(path, intended);
      }
    });
  }

  test('nothing: a 0755 data directory and a 0644 tls/ca.pem are fine', async () => {
    chmodSync(dataDir, 0o755);
    chmodSync(paths.caCertificate, 0o644);
    const server = await startServer({ dataDir });
    await server.stop();
    chmodSync(dataDir, 0o700);
  });
});

describe('checkDataDirectory', () => {
  const dataDir = temporaryDataDir();
  const paths = instancePaths(dataDir);
  before(() => {
    mkdirSync(paths.tlsDir, { mode: 0o700 });
    writeFileSync(paths.unsealKey, Buffer.alloc(32), { mode: 0o600 });
    writeFileSync(paths.database, '', { mode: 0o600 });
    writeFileSync(paths.adminCredentials, '{}', { mode: 0o600 });
    writeFileSync(paths.caCertificate, 'certificate\n', { mode: 0o644 });
    chmodSync(paths.caCertificate, 0o644);
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('accepts a directory as the service makes it', () => {
    checkDataDirectory(dataDir, paths);
  });

  for (const suffix of ['-wal', '-shm']) {
    test(`refuses a readable strongroom.db${suffix}, and accepts it at 0600`, () => {
      const path = `${paths.database}${suffix}`;
      writeFileSync(path, '', { mode: 0o644 });
      chmodSync(path, 0o644);
      assert.throws(() => checkDataDirectory(dataDir, paths), { message: `${path} is readable by other users; run: chmod 600 ${path}` });
      chmodSync(path, 0o600);
      checkDataDirectory(dataDir, paths);
      rmSync(path);
    });
  }

  test('refuses a KEK others can read (the keystore refuses it too)', () => {
    chmodSync(paths.unsealKey, 0o604);
    assert.throws(() => checkDataDirectory(dataDir, paths), { message: `${paths.unsealKey} is readable by other users; run: chmod 600 ${paths.unsealKey}` });
    chmodSync(paths.unsealKey, 0o600);
  });

  test('refuses a tls directory or a tls/ca.pem others can write to', () => {
    chmodSync(paths.tlsDir, 0o730);
    assert.throws(() => checkDataDirectory(dataDir, paths), { message: `${paths.tlsDir} is writable by other users; run: chmod go-w ${paths.tlsDir}` });
    chmodSync(paths.tlsDir, 0o700);
    chmodSync(paths.caCertificate, 0o666);
    assert.throws(() => checkDataDirectory(dataDir, paths), { message: `${paths.caCertificate} is writable by other users; run: chmod 644 ${paths.caCertificate}` });
    chmodSync(paths.caCertificate, 0o644);
    checkDataDirectory(dataDir, paths);
  });

  test('does nothing for a data directory that does not exist yet (the first start makes it)', () => {
    const fresh = join(dataDir, 'not-yet');
    checkDataDirectory(fresh, instancePaths(fresh));
  });
});
