/**
 * Issue 7, Medium #3 and Low #6: files of the data directory were rewritten in place (`admin-credentials.json`
 * at any start on another port: truncate, then write) or created in two steps and never fsynced (the key file), so a
 * crash in between left an empty file: every later start failed, and the only copy of the administrator's
 * secret was gone. Now one module (src/lib/atomic-file.ts) writes every file through a temporary file, fsync,
 * rename (or an exclusive link for the unseal key) and a directory fsync, and only when the content changes.
 *
 * Shown here: at every step of a write the target holds the old content or the new one, never anything else; a
 * write that fails at any step leaves the old content and no temporary file; an existing file is never replaced
 * by an exclusive write; unchanged content is not written. Against the real service: a restart on another port
 * replaces the credentials file (new inode, same secret), a restart on the same port touches neither it nor
 * tls/ca.pem, and a temporary file a crash left behind does not stop a start.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeFileAtomically, type AtomicFileSystem } from '../../src/lib/atomic-file.ts';
import { fileUnsealProvider } from '../../src/custody/unseal/file-unseal.ts';
import { startServer, temporaryDataDir, type AdminCredentials } from '../../harness/server-process.ts';

const directories: string[] = [];
after(() => { for (const dir of directories) rmSync(dir, { recursive: true, force: true }); });

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-atomic-'));
  directories.push(dir);
  return dir;
}

const OLD = `${JSON.stringify({ clientSecret: 'the only copy', authorityHost: 'https://localhost:1111' }, null, 2)}\n`;
const NEW = `${JSON.stringify({ clientSecret: 'the only copy', authorityHost: 'https://localhost:2222' }, null, 2)}\n`;

/** The real file system, except that the `n`-th call (1-based) of `name` and any later one throw EIO. */
function failingAt(name: 'fchmodSync' | 'fsyncSync' | 'renameSync' | 'linkSync', n = 1): Partial<AtomicFileSystem> {
  let calls = 0;
  const step = () => {
    calls += 1;
    if (calls >= n) throw Object.assign(new Error(`injected ${name} failure`), { code: 'EIO' });
  };
  switch (name) {
    case 'fchmodSync': return { fchmodSync: (fd, mode) => { step(); fs.fchmodSync(fd, mode); } };
    case 'fsyncSync': return { fsyncSync: (fd) => { step(); fs.fsyncSync(fd); } };
    case 'renameSync': return { renameSync: (from, to) => { step(); fs.renameSync(from, to); } };
    case 'linkSync': return { linkSync: (from, to) => { step(); fs.linkSync(from, to); } };
  }
}

const others = (dir: string, name: string) => readdirSync(dir).filter((entry) => entry !== name);

describe('writeFileAtomically', () => {
  test('at every file-system call of a rewrite, the target holds the old content or the new one (a crash leaves no empty file)', () => {
    const dir = scratch();
    const path = join(dir, 'admin-credentials.json');
    writeFileSync(path, OLD, { mode: 0o600 });
    const seen: string[] = [];
    const look = () => { seen.push(readFileSync(path, 'utf8')); };
    const watching: AtomicFileSystem = {
      openSync: (p, flags, mode) => { look(); return fs.openSync(p, flags, mode); },
      fchmodSync: (fd, mode) => { look(); fs.fchmodSync(fd, mode); },
      writeSync: (fd, buffer, offset, length) => {
        look();
        // Write one byte at a time, as a slow disk might, so a crash can fall in the middle of the content.
        const written = fs.writeSync(fd, buffer, offset, Math.min(length, 1));
        look();
        return written;
      },
      fsyncSync: (fd) => { look(); fs.fsyncSync(fd); },
      closeSync: (fd) => { look(); fs.closeSync(fd); },
      renameSync: (from, to) => {
        look();
        // What a crash right before the rename leaves: the old file intact, the complete new one beside it, mode 0600.
        assert.equal(readFileSync(from, 'utf8'), NEW);
        assert.equal(statSync(from).mode & 0o777, 0o600);
        fs.renameSync(from, to);
        look();
      },
      linkSync: () => assert.fail('a rewrite is a rename'),
      unlinkSync: (p) => { look(); fs.unlinkSync(p); },
      readFileSync: (p) => fs.readFileSync(p),
    };
    assert.equal(writeFileAtomically(path, NEW, { mode: 0o600, fileSystem: watching }), 'written');
    assert.ok(seen.length > NEW.length, 'every byte was written by its own call');
    assert.deepEqual([...new Set(seen)], [OLD, NEW], 'never empty, never a mix');
    assert.equal(seen.indexOf(NEW), seen.lastIndexOf(OLD) + 1);
    assert.equal(readFileSync(path, 'utf8'), NEW);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(others(dir, 'admin-credentials.json'), []);
  });

  for (const step of ['fchmodSync', 'fsyncSync', 'renameSync'] as const) {
    test(`a failing ${step} leaves the old content, its inode, and no temporary file`, () => {
      const dir = scratch();
      const path = join(dir, 'admin-credentials.json');
      writeFileSync(path, OLD, { mode: 0o600 });
      const before = statSync(path);
      assert.throws(() => writeFileAtomically(path, NEW, { mode: 0o600, fileSystem: failingAt(step) }), /injected/);
      assert.equal(readFileSync(path, 'utf8'), OLD);
      assert.equal(statSync(path).ino, before.ino);
      assert.deepEqual(others(dir, 'admin-credentials.json'), []);
    });
  }

  test('a write that fails after half the bytes leaves the old content and no temporary file', () => {
    const dir = scratch();
    const path = join(dir, 'admin-credentials.json');
    writeFileSync(path, OLD, { mode: 0o600 });
    let calls = 0;
    const halfThenFail: Partial<AtomicFileSystem> = {
      writeSync: (fd, buffer, offset, length) => {
        calls += 1;
        if (calls > 1) throw Object.assign(new Error('injected ENOSPC'), { code: 'ENOSPC' });
        return fs.writeSync(fd, buffer, offset, Math.floor(length / 2));
      },
    };
    assert.throws(() => writeFileAtomically(path, NEW, { mode: 0o600, fileSystem: halfThenFail }), /ENOSPC/);
    assert.equal(readFileSync(path, 'utf8'), OLD);
    assert.deepEqual(others(dir, 'admin-credentials.json'), []);
  });

  test('a failing directory fsync after the rename reports the failure, with the new content in place', () => {
    const dir = scratch();
    const path = join(dir, 'ca.pem');
    writeFileSync(path, OLD, { mode: 0o644 });
    // The second fsync is the directory's: the file itself is complete by then.
    assert.throws(() => writeFileAtomically(path, NEW, { mode: 0o644, fileSystem: failingAt('fsyncSync', 2) }), /injected/);
    assert.equal(readFileSync(path, 'utf8'), NEW);
    assert.deepEqual(others(dir, 'ca.pem'), []);
  });

  test('the mode is exactly the one asked for, whatever the umask; unchanged content is not written', () => {
    const dir = scratch();
    const path = join(dir, 'ca.pem');
    const umask = process.umask(0o077);
    try {
      assert.equal(writeFileAtomically(path, 'certificate\n', { mode: 0o644 }), 'written');
    } finally {
      process.umask(umask);
    }
    const first = statSync(path);
    assert.equal(first.mode & 0o777, 0o644);
    assert.equal(writeFileAtomically(path, 'certificate\n', { mode: 0o644 }), 'unchanged');
    assert.deepEqual(identity(statSync(path)), identity(first));
  });

  test('an exclusive write never replaces an existing file, and a failed link leaves no temporary file', () => {
    const dir = scratch();
    const path = join(dir, 'key-encryption-key');
    writeFileSync(path, Buffer.alloc(32, 7), { mode: 0o600 });
    assert.throws(() => writeFileAtomically(path, Buffer.alloc(32, 9), { mode: 0o600, exclusive: true }), { code: 'EEXIST' });
    assert.deepEqual(readFileSync(path), Buffer.alloc(32, 7));
    assert.deepEqual(others(dir, 'key-encryption-key'), []);

    const fresh = join(dir, 'fresh');
    assert.throws(() => writeFileAtomically(fresh, Buffer.alloc(32, 9), { mode: 0o600, exclusive: true, fileSystem: failingAt('linkSync') }), /injected/);
    assert.deepEqual(readdirSync(dir), ['key-encryption-key']);
    assert.equal(writeFileAtomically(fresh, Buffer.alloc(32, 9), { mode: 0o600, exclusive: true }), 'written');
    assert.deepEqual(readFileSync(fresh), Buffer.alloc(32, 9));
    assert.equal(statSync(fresh).nlink, 1, 'the temporary name is gone');
  });
});

test('the unseal key file is created whole (32 bytes, 0600, nothing beside it) and an existing one is kept', async () => {
  const dir = scratch();
  const path = join(dir, 'unseal-key');
  const umask = process.umask(0o022);
  try {
    const wrapped = await fileUnsealProvider(path, { create: true }).wrap(Buffer.alloc(32, 5));
    assert.equal(statSync(path).size, 32);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['unseal-key']);
    const before = statSync(path);
    assert.deepEqual(await fileUnsealProvider(path, { create: true }).unwrap(wrapped), Buffer.alloc(32, 5));
    assert.deepEqual(identity(statSync(path)), identity(before));
  } finally {
    process.umask(umask);
  }
});

function identity(stats: Stats) {
  return { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size };
}

describe('against the real service', () => {
  const dataDir = temporaryDataDir();
  directories.push(dataDir);
  const credentialsPath = join(dataDir, 'admin-credentials.json');
  const caPath = join(dataDir, 'tls', 'ca.pem');
  const readCredentials = () => JSON.parse(readFileSync(credentialsPath, 'utf8')) as AdminCredentials;
  let firstPort = 0;
  let secondPort = 0;

  test('a restart on another port replaces the credentials file atomically with the same secret; tls/ca.pem is left alone', async () => {
    const first = await startServer({ dataDir });
    firstPort = first.port;
    await first.stop();
    const credentialsBefore = statSync(credentialsPath);
    const caBefore = statSync(caPath);
    const second = await startServer({ dataDir });
    secondPort = second.port;
    await second.stop();
    assert.notEqual(secondPort, firstPort);
    assert.deepEqual(readCredentials(), { ...first.credentials, authorityHost: `https://localhost:${secondPort}` });
    assert.notEqual(statSync(credentialsPath).ino, credentialsBefore.ino, 'a new file renamed into place, not a rewrite in place');
    assert.equal(statSync(credentialsPath).mode & 0o777, 0o600);
    assert.deepEqual(identity(statSync(caPath)), identity(caBefore), 'the CA certificate did not change, so it is not written');
    assert.equal(statSync(caPath).mode & 0o777, 0o644);
    assert.ok(readFileSync(caPath, 'utf8').endsWith('-----END CERTIFICATE-----\n'));
    assert.deepEqual(readdirSync(dataDir).filter((name) => name.endsWith('.tmp')), []);
  });

  test('a restart on the same port writes neither file', async () => {
    const credentialsBefore = statSync(credentialsPath);
    const caBefore = statSync(caPath);
    const third = await startServer({ dataDir, args: ['--port', String(secondPort)] });
    await third.stop();
    assert.equal(third.port, secondPort);
    assert.deepEqual(identity(statSync(credentialsPath)), identity(credentialsBefore));
    assert.deepEqual(identity(statSync(caPath)), identity(caBefore));
  });

  test('what a crash of the new code can leave (the old file, a half-written temporary file beside it) starts normally', async () => {
    const secret = readCredentials().clientSecret;
    const leftover = join(dataDir, '.admin-credentials.json.0123456789ab.tmp');
    writeFileSync(leftover, '{\n  "tenantId": "', { mode: 0o600 });
    chmodSync(leftover, 0o600);
    const fourth = await startServer({ dataDir });
    await fourth.stop();
    assert.equal(fourth.credentials.clientSecret, secret);
    assert.equal(fourth.credentials.authorityHost, `https://localhost:${fourth.port}`);
  });
});
