/**
 * The storage targets of full backup and restore (issue 9, "Backups that only the domain opens"): one contract
 * run on both, an Azure Blob container in a real Azurite and a real directory, then what is particular to each:
 * SAS tokens refused without the token reaching a message, a stopped or silent storage service, the file modes
 * of a folder, and how folder URIs split (Azurite's path-style URLs keep the account in the container URL).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startAzurite, type TestAzurite } from '../../harness/azurite.ts';
import {
  BackupTargetError,
  createBackupFolder,
  openBackupFolder,
  splitFolderUri,
  type BackupLocation,
  type BackupTargetErrorKind,
  type BackupTargetOptions,
} from '../../src/backup/backup-target.ts';

const FAST: BackupTargetOptions = { timeoutMs: 3_000, retry: { maxTries: 2, retryDelayMs: 20, maxRetryDelayMs: 20 } };

let azurite: TestAzurite;
let root: string;
let count = 0;

before(async () => {
  azurite = await startAzurite();
  root = mkdtempSync(join(tmpdir(), 'strongroom-backup-targets-'));
});

after(async () => {
  await azurite?.stop();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

/** Rejects with a BackupTargetError of `kind`; returns it for more checks. */
async function refused(work: Promise<unknown>, kind: BackupTargetErrorKind): Promise<BackupTargetError> {
  const error = await work.then(() => assert.fail(`expected a BackupTargetError '${kind}'`), (caught: unknown) => caught);
  assert.ok(error instanceof BackupTargetError, `expected a BackupTargetError, got ${inspect(error)}`);
  assert.equal(error.kind, kind, error.message);
  return error;
}

/** Neither the message, nor the stack, nor what a logger would print of the error holds the token. */
function assertTokenAbsent(error: BackupTargetError, token: string): void {
  const signature = new URLSearchParams(token).get('sig') ?? token;
  for (const text of [error.message, String(error.stack), inspect(error, { depth: 10 }), JSON.stringify(error)]) {
    assert.ok(!text.includes(token) && !text.includes(signature) && !text.includes(encodeURIComponent(signature)), `the token leaked: ${text}`);
  }
}

const folderName = () => `strongroom-backup-20261202T013000Z-${(++count).toString(36)}${randomBytes(3).toString('hex')}`;

interface TargetCase {
  name: string;
  /** A fresh, empty place to back up to. */
  location(): Promise<BackupLocation>;
  /** A location whose container or parent directory does not exist. */
  missing(): BackupLocation;
}

const targets: TargetCase[] = [
  {
    name: 'Azure Blob container (Azurite)',
    location: async () => {
      const url = await azurite.createContainer(`backups-${++count}`);
      return { storageResourceUri: url, token: azurite.sasFor(url) };
    },
    missing: () => {
      const url = `${azurite.accountUrl}/no-such-container`;
      return { storageResourceUri: url, token: azurite.sasFor(url) };
    },
  },
  {
    name: 'file:/// directory',
    location: async () => {
      const dir = join(root, `target-${++count}`);
      mkdirSync(dir);
      return { storageResourceUri: pathToFileURL(dir).href };
    },
    missing: () => ({ storageResourceUri: pathToFileURL(join(root, 'no-such-directory')).href }),
  },
];

for (const target of targets) {
  describe(`backup target contract: ${target.name}`, () => {
    test('objects round-trip byte for byte, including binary and a 5 MB object; list is sorted and filters by prefix', async () => {
      const location = await target.location();
      const name = folderName();
      const folder = await createBackupFolder(location, name);
      assert.equal(folder.uri, `${location.storageResourceUri.replace(/\/+$/, '')}/${name}`);
      const binary = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      const large = randomBytes(5 * 1024 * 1024 + 17);
      await folder.write('manifest.sealed', Buffer.from('{"format":"x"}'));
      await folder.write('keys/0000002.key', large);
      await folder.write('keys/0000001.key', new Uint8Array(binary));
      assert.deepEqual(await folder.list(), ['keys/0000001.key', 'keys/0000002.key', 'manifest.sealed']);
      assert.deepEqual(await folder.list('keys/'), ['keys/0000001.key', 'keys/0000002.key']);
      assert.deepEqual(await folder.list('nothing/'), []);

      const reopened = await openBackupFolder(location, name);
      assert.equal(reopened.uri, folder.uri);
      assert.ok((await reopened.read('keys/0000001.key')).equals(binary));
      assert.ok((await reopened.read('keys/0000002.key')).equals(large));
      assert.equal((await reopened.read('manifest.sealed')).toString(), '{"format":"x"}');
      await reopened.write('manifest.sealed', Buffer.from('second'));
      assert.equal((await folder.read('manifest.sealed')).toString(), 'second');
    });

    test('the folder URI splits back into the location and the folder name', async () => {
      const location = await target.location();
      const name = folderName();
      const folder = await createBackupFolder(location, name);
      await folder.write('manifest.sealed', Buffer.from('m'));
      const split = splitFolderUri(folder.uri);
      assert.deepEqual(split, { storageResourceUri: location.storageResourceUri, folderName: name });
      const again = await openBackupFolder({ ...split, token: location.token }, split.folderName);
      assert.equal((await again.read('manifest.sealed')).toString(), 'm');
    });

    test('creating a folder that exists fails and leaves it as it was', async () => {
      const location = await target.location();
      const name = folderName();
      const folder = await createBackupFolder(location, name);
      await folder.write('manifest.sealed', Buffer.from('first'));
      const error = await refused(createBackupFolder(location, name), 'invalid-location');
      assert.match(error.message, /already exists/);
      assert.equal((await folder.read('manifest.sealed')).toString(), 'first');
    });

    test('a missing folder or object is not-found', async () => {
      const location = await target.location();
      await refused(openBackupFolder(location, folderName()), 'not-found');
      const folder = await createBackupFolder(location, folderName());
      await folder.write('keys/0000001.key', Buffer.from('k'));
      await refused(folder.read('manifest.sealed'), 'not-found');
      await refused(folder.read('keys/0000009.key'), 'not-found');
    });

    test('a container or parent directory that does not exist is not-found', async () => {
      await refused(createBackupFolder(target.missing(), folderName()), 'not-found');
      await refused(openBackupFolder(target.missing(), folderName()), 'not-found');
    });

    test('object and folder names that would leave the folder are refused', async () => {
      const location = await target.location();
      const folder = await createBackupFolder(location, folderName());
      for (const name of ['../escape', 'keys/../../escape', '/etc/passwd', 'keys\\..\\x', '', 'keys//x', './x', 'keys/', 'a\u0000b']) {
        await refused(folder.write(name, Buffer.from('x')), 'invalid-location');
        await refused(folder.read(name), 'invalid-location');
      }
      for (const name of ['..', '.', '', 'a/b', '../up', 'a\\b']) {
        await refused(createBackupFolder(location, name), 'invalid-location');
        await refused(openBackupFolder(location, name), 'invalid-location');
      }
      assert.deepEqual(await folder.list(), []);
    });
  });
}

describe('Azure Blob target', () => {
  test('a SAS token signed with another key is access-denied, and the token is in no message', async () => {
    const url = await azurite.createContainer(`forged-${++count}`);
    const token = azurite.forgedSasFor(url);
    const error = await refused(createBackupFolder({ storageResourceUri: url, token }, folderName()), 'access-denied');
    assertTokenAbsent(error, token);
    assert.ok(error.message.includes(url), error.message);
  });

  test('a read-only token cannot write, an expired one cannot read; neither token is in a message', async () => {
    const url = await azurite.createContainer(`weak-${++count}`);
    const name = folderName();
    const readOnly = azurite.sasFor(url, 'rl');
    const folder = await createBackupFolder({ storageResourceUri: url, token: readOnly }, name);
    assertTokenAbsent(await refused(folder.write('manifest.sealed', Buffer.from('m')), 'access-denied'), readOnly);

    const writer = await createBackupFolder({ storageResourceUri: url, token: azurite.sasFor(url) }, name);
    await writer.write('manifest.sealed', Buffer.from('m'));
    const expired = azurite.sasFor(url, 'rl', -1);
    assertTokenAbsent(await refused(openBackupFolder({ storageResourceUri: url, token: expired }, name), 'access-denied'), expired);
    // With a leading '?', as the portal copies it, a token works the same.
    const opened = await openBackupFolder({ storageResourceUri: url, token: `?${azurite.sasFor(url, 'rl')}` }, name);
    assert.equal((await opened.read('manifest.sealed')).toString(), 'm');
  });

  test('no token at all is access-denied (there is no managed identity)', async () => {
    const url = await azurite.createContainer(`anonymous-${++count}`);
    await refused(createBackupFolder({ storageResourceUri: url }, folderName()), 'access-denied');
    await refused(openBackupFolder({ storageResourceUri: url, token: '' }, folderName()), 'access-denied');
  });

  test('a stopped Azurite is unavailable, quickly with few retries, before and after a folder is open', async () => {
    const other = await startAzurite();
    const url = await other.createContainer('outage');
    const location = { storageResourceUri: url, token: other.sasFor(url) };
    const folder = await createBackupFolder(location, folderName(), FAST);
    await folder.write('keys/0000001.key', Buffer.from('k'));
    await other.stop();
    const started = Date.now();
    const error = await refused(folder.write('manifest.sealed', Buffer.from('m')), 'unavailable');
    assertTokenAbsent(error, location.token);
    await refused(folder.read('keys/0000001.key'), 'unavailable');
    await refused(openBackupFolder(location, folderName(), FAST), 'unavailable');
    await refused(createBackupFolder(location, folderName(), FAST), 'unavailable');
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  });

  test('a service that accepts connections but never answers is unavailable at the deadline', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => { sockets.add(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const url = `http://127.0.0.1:${port}/devstoreaccount1/backups`;
      const options: BackupTargetOptions = { timeoutMs: 300, retry: { maxTries: 3, retryDelayMs: 20, maxRetryDelayMs: 20 } };
      await refused(createBackupFolder({ storageResourceUri: url, token: azurite.sasFor(url) }, folderName(), options), 'unavailable');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('locations that are not a usable https container URL are invalid-location, and a query is not quoted', async () => {
    const token = azurite.sasFor(`${azurite.accountUrl}/x`);
    for (const uri of [
      'not a url',
      'ftp://acct.blob.core.windows.net/backups',
      'http://acct.blob.core.windows.net/backups', // plain http only on this machine
      'https://acct.blob.core.windows.net',
      'https://acct.blob.core.windows.net/',
      'https://user:password@acct.blob.core.windows.net/backups',
      `https://acct.blob.core.windows.net/backups?${token}`,
      'https://acct.blob.core.windows.net/backups#frag',
    ]) {
      const error = await refused(createBackupFolder({ storageResourceUri: uri, token }, folderName()), 'invalid-location');
      assertTokenAbsent(error, token);
      assert.ok(!error.message.includes('password'), error.message);
    }
  });
});

describe('file:/// target', () => {
  test('folders are 0700 and files 0600 whatever the umask; no temporary file stays; a token is ignored', async () => {
    const dir = join(root, `modes-${++count}`);
    mkdirSync(dir);
    const previous = process.umask(0o000);
    try {
      const name = folderName();
      const folder = await createBackupFolder({ storageResourceUri: pathToFileURL(dir).href, token: 'sv=ignored&sig=ignored' }, name);
      await folder.write('keys/0000001.key', Buffer.from('k'));
      await folder.write('manifest.sealed', Buffer.from('m'));
      const mode = (path: string) => statSync(path).mode & 0o777;
      assert.equal(mode(join(dir, name)), 0o700);
      assert.equal(mode(join(dir, name, 'keys')), 0o700);
      assert.equal(mode(join(dir, name, 'keys', '0000001.key')), 0o600);
      assert.equal(mode(join(dir, name, 'manifest.sealed')), 0o600);
      // A crash mid-write leaves a temporary file beside its target; list does not show it.
      writeFileSync(join(dir, name, 'keys', '.0000002.key.0123456789ab.tmp'), 'partial');
      assert.deepEqual(await folder.list(), ['keys/0000001.key', 'manifest.sealed']);
    } finally {
      process.umask(previous);
    }
  });

  test('bad file locations are invalid-location; a parent that is a file cannot hold a folder', async () => {
    const file = join(root, `plain-file-${++count}`);
    writeFileSync(file, 'x');
    await refused(createBackupFolder({ storageResourceUri: pathToFileURL(file).href }, folderName()), 'invalid-location');
    for (const uri of ['file://otherhost/backups', 'file:///backups?x=1', 'file:///a%2Fb']) {
      await refused(createBackupFolder({ storageResourceUri: uri }, folderName()), 'invalid-location');
    }
  });

  test('file://localhost/ names this machine', async () => {
    const dir = join(root, `localhost-${++count}`);
    mkdirSync(dir);
    const folder = await createBackupFolder({ storageResourceUri: `file://localhost${dir}` }, 'f');
    assert.equal(folder.uri, `${pathToFileURL(dir).href}/f`);
  });
});

describe('splitFolderUri', () => {
  const cases: Array<[string, string, string]> = [
    ['https://acct.blob.core.windows.net/backups/strongroom-backup-1', 'https://acct.blob.core.windows.net/backups', 'strongroom-backup-1'],
    ['https://acct.blob.core.windows.net/backups/strongroom-backup-1/', 'https://acct.blob.core.windows.net/backups', 'strongroom-backup-1'],
    ['https://acct.blob.core.windows.net/backups/my%20backup', 'https://acct.blob.core.windows.net/backups', 'my backup'],
    ['http://127.0.0.1:10000/devstoreaccount1/backups/mhsm-1', 'http://127.0.0.1:10000/devstoreaccount1/backups', 'mhsm-1'],
    ['http://localhost:41234/devstoreaccount1/c/f', 'http://localhost:41234/devstoreaccount1/c', 'f'],
    ['file:///var/backups/strongroom-backup-1', 'file:///var/backups', 'strongroom-backup-1'],
    ['file://localhost/var/backups/strongroom-backup-1', 'file:///var/backups', 'strongroom-backup-1'],
    ['file:///strongroom-backup-1', 'file:///', 'strongroom-backup-1'],
  ];
  for (const [uri, storageResourceUri, folder] of cases) {
    test(uri, () => assert.deepEqual(splitFolderUri(uri), { storageResourceUri, folderName: folder }));
  }

  test('URIs that name no folder inside a container or directory are invalid-location', () => {
    for (const uri of [
      'https://acct.blob.core.windows.net/backups',
      'https://acct.blob.core.windows.net/',
      'https://acct.blob.core.windows.net/backups/f?sv=2020&sig=SECRET',
      'ftp://acct/backups/f',
      'http://example.com/backups/f',
      'file:///',
      'file://otherhost/a/f',
      'https://acct.blob.core.windows.net/backups/..',
      'https://acct.blob.core.windows.net/backups/a%2Fb',
      'nonsense',
    ]) {
      assert.throws(() => splitFolderUri(uri), (error: unknown) => {
        assert.ok(error instanceof BackupTargetError && error.kind === 'invalid-location', `${uri}: ${inspect(error)}`);
        assert.ok(!error.message.includes('SECRET'), error.message);
        return true;
      });
    }
  });
});
