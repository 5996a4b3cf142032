/**
 * Writes a file so that a crash at any moment leaves either the old content or the new, never an empty or
 * partial file. Every file of the data directory (the KEK, the administrator's credentials, the CA
 * certificate) is written through here: an in-place rewrite (truncate, then write) that dies in between
 * destroys the only copy of a secret and stops every later start.
 *
 * How: a temporary file in the same directory (so the final step is a rename within one file system), created
 * exclusively with the file's final mode (set with fchmod, so the umask cannot change it), written in full,
 * fsynced, then renamed over the target (or, for `exclusive`, hard-linked to it, which fails if the target
 * exists, so a KEK is never replaced), and finally the directory is fsynced so the new name survives a power
 * loss. A failure on the way removes the temporary file and leaves the target as it was. Content equal to what
 * the file already holds is not written at all (`'unchanged'`): the file keeps its inode and mtime.
 *
 * A crash (not a thrown error) may leave a `.<name>.<random>.tmp` file beside the target, never the target
 * itself half-written; such leftovers are harmless and may be deleted.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The file-system calls used; a test replaces some of them to make a step fail. */
export interface AtomicFileSystem {
  openSync(path: string, flags: string, mode?: number): number;
  fchmodSync(fd: number, mode: number): void;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  linkSync(existing: string, newPath: string): void;
  unlinkSync(path: string): void;
  readFileSync(path: string): Buffer;
}

const nodeFileSystem: AtomicFileSystem = {
  openSync: (path, flags, mode) => fs.openSync(path, flags, mode),
  fchmodSync: (fd, mode) => fs.fchmodSync(fd, mode),
  writeSync: (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (from, to) => fs.renameSync(from, to),
  linkSync: (existing, newPath) => fs.linkSync(existing, newPath),
  unlinkSync: (path) => fs.unlinkSync(path),
  readFileSync: (path) => fs.readFileSync(path),
};

export interface AtomicWriteOptions {
  /** The file's permission bits (0o600 for secrets, 0o644 for public files), exactly; the umask does not apply. */
  mode: number;
  /** Create only: when the target exists, fail with EEXIST and leave it untouched (content is not compared). */
  exclusive?: boolean;
  /** For tests: replaces some of the file-system calls, e.g. to make the rename throw. */
  fileSystem?: Partial<AtomicFileSystem>;
}

export type AtomicWriteResult = 'written' | 'unchanged';

export function writeFileAtomically(path: string, content: string | Uint8Array, options: AtomicWriteOptions): AtomicWriteResult {
  const io: AtomicFileSystem = { ...nodeFileSystem, ...options.fileSystem };
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (options.exclusive !== true && sameContent(io, path, bytes)) return 'unchanged';
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeDurably(io, temporary, bytes, options.mode);
    if (options.exclusive === true) {
      io.linkSync(temporary, path);
      io.unlinkSync(temporary);
    } else {
      io.renameSync(temporary, path);
    }
  } catch (error) {
    removeQuietly(io, temporary);
    throw error;
  }
  syncDirectory(io, dirname(path));
  return 'written';
}

function writeDurably(io: AtomicFileSystem, path: string, bytes: Uint8Array, mode: number): void {
  const fd = io.openSync(path, 'wx', mode & 0o600);
  try {
    io.fchmodSync(fd, mode);
    for (let offset = 0; offset < bytes.length; ) offset += io.writeSync(fd, bytes, offset, bytes.length - offset);
    io.fsyncSync(fd);
  } finally {
    io.closeSync(fd);
  }
}

function sameContent(io: AtomicFileSystem, path: string, bytes: Uint8Array): boolean {
  try {
    return io.readFileSync(path).equals(bytes);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

/** Makes a rename or link in `directory` durable. Windows cannot open a directory; there a rename is the best we get. */
function syncDirectory(io: AtomicFileSystem, directory: string): void {
  if (process.platform === 'win32') return;
  const fd = io.openSync(directory, 'r');
  try {
    io.fsyncSync(fd);
  } finally {
    io.closeSync(fd);
  }
}

function removeQuietly(io: AtomicFileSystem, path: string): void {
  try {
    io.unlinkSync(path);
  } catch {
    // Never created, or already renamed: nothing to remove.
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
