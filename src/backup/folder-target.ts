/**
 * A backup folder on this machine's file system, for operators without blob storage: `file:///var/backups` is
 * the parent directory, and each backup one subdirectory of it holding one file per object (`keys/…` in a
 * subdirectory). The parent must exist: a typo must not create a tree somewhere unexpected.
 *
 * The objects are sealed, yet the folder is kept private: directories 0700, files 0600, set exactly (the umask
 * does not apply). A write is atomic and durable, as src/lib/atomic-file.ts does it but without blocking the
 * event loop: a temporary file beside the target, written in full and fsynced, renamed over the target, and the
 * directory fsynced so the name survives a power loss. A crash may leave a `.<name>.<random>.tmp` file, which
 * `list` does not show. A backup's folder is created with a single `mkdir`, which fails if it exists.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackupTargetError, checkObjectName, folderUriOf, type BackupFolder } from './backup-target.ts';

const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;
const TEMPORARY = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** A new folder in the existing directory `parent`: fails ('invalid-location') if it exists. */
export async function createDirectoryFolder(parent: URL, folderName: string): Promise<BackupFolder> {
  const folder = new DirectoryFolder(parent, folderName);
  await folder.create();
  return folder;
}

/** An existing folder: 'not-found' when the directory is not there. */
export async function openDirectoryFolder(parent: URL, folderName: string): Promise<BackupFolder> {
  const folder = new DirectoryFolder(parent, folderName);
  await folder.check();
  return folder;
}

class DirectoryFolder implements BackupFolder {
  readonly uri: string;
  readonly #parent: string;
  readonly #path: string;

  constructor(parent: URL, folderName: string) {
    this.uri = folderUriOf(parent, folderName);
    this.#parent = fileURLToPath(parent);
    this.#path = join(this.#parent, folderName);
  }

  async create(): Promise<void> {
    await this.#guard(this.uri, async () => {
      await stat(this.#parent); // a missing parent is 'not-found', not created
      await mkdir(this.#path, { mode: DIRECTORY_MODE });
      await chmod(this.#path, DIRECTORY_MODE);
      await syncDirectory(this.#parent);
    });
  }

  async check(): Promise<void> {
    const info = await this.#guard(this.uri, () => stat(this.#path));
    if (!info.isDirectory()) throw new BackupTargetError('not-found', `There is no backup folder ${this.uri} (it is not a directory).`);
  }

  async write(name: string, data: Uint8Array): Promise<void> {
    checkObjectName(name);
    const target = join(this.#path, name);
    await this.#guard(`${this.uri}/${name}`, async () => {
      await this.#makeDirectories(dirname(name));
      await writeDurably(target, data);
    });
  }

  async read(name: string): Promise<Buffer> {
    checkObjectName(name);
    return this.#guard(`${this.uri}/${name}`, () => readFile(join(this.#path, name)));
  }

  async list(prefix = ''): Promise<string[]> {
    const entries = await this.#guard(this.uri, () => readdir(this.#path, { recursive: true, withFileTypes: true }));
    return entries
      .filter((entry) => entry.isFile() && !TEMPORARY.test(entry.name))
      .map((entry) => join(entry.parentPath, entry.name).slice(this.#path.length + 1).split(sep).join('/'))
      .filter((name) => name.startsWith(prefix))
      .sort();
  }

  /** Creates the subdirectories of an object name (`keys` of `keys/1.key`), each 0700 and made durable. */
  async #makeDirectories(relative: string): Promise<void> {
    let current = this.#path;
    for (const segment of relative === '.' ? [] : relative.split('/')) {
      const next = join(current, segment);
      const made = await mkdir(next, { mode: DIRECTORY_MODE }).then(() => true, (error: unknown) => {
        if (errorCode(error) === 'EEXIST') return false;
        throw error;
      });
      if (made) {
        await chmod(next, DIRECTORY_MODE);
        await syncDirectory(current);
      }
      current = next;
    }
  }

  async #guard<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw targetErrorOf(error, what, this.#parent);
    }
  }
}

async function writeDurably(target: string, data: Uint8Array): Promise<void> {
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temporary, 'wx', FILE_MODE);
    try {
      await file.chmod(FILE_MODE);
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined); // never made, or already renamed
    throw error;
  }
  await syncDirectory(dirname(target));
}

/** Makes a new name in `directory` durable. Windows cannot open a directory; there a rename is the best we get. */
async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A file-system failure as a target error; its message names the folder or object, and the parent when missing. */
function targetErrorOf(error: unknown, what: string, parent: string): unknown {
  switch (errorCode(error)) {
    case 'ENOENT':
      return new BackupTargetError('not-found', `${what} does not exist (the directory ${parent} must exist).`);
    case 'EEXIST':
      return new BackupTargetError('invalid-location', `The backup folder ${what} already exists; a backup never writes into an existing folder.`);
    case 'ENOTDIR':
    case 'EISDIR':
      return new BackupTargetError('invalid-location', `${what} is not where a directory or file is expected.`);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new BackupTargetError('access-denied', `Strongroom may not write or read ${what} (file permissions or a read-only file system).`);
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EIO':
    case 'EMFILE':
    case 'ENFILE':
      return new BackupTargetError('unavailable', `${what} could not be written or read (${errorCode(error)}); try again later.`);
    default:
      return error;
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
