/**
 * What a start checks in the data directory before it opens anything, so that a directory that is unsafe or
 * half-made stops the service with one line naming the file and what to do, instead of a stack trace later (or,
 * worse, a fresh key-encryption key silently made next to a database sealed under another one).
 *
 * Refused:
 * - the data directory, or its `tls/` directory, writable by group or others (anyone who can write there can
 *   swap the files the service trusts): "… is writable by other users; run: chmod go-w …";
 * - a secret file readable or writable by group or others: the KEK, `admin-credentials.json`, `strongroom.db`
 *   and its `-wal` / `-shm` files when present: "… is readable by other users; run: chmod 600 …";
 * - `tls/ca.pem` writable by group or others (it is public, mode 0644, so reading it is fine);
 * - a database without its KEK (the KEK must be restored, never re-made);
 * - a KEK file of the wrong length (a first start that died while making it, or a damaged copy).
 *
 * A missing data directory or missing files are not refused: the first start creates them.
 * The credentials file's content is checked where it is read (`admin-principal.ts`).
 */
import { existsSync, statSync } from 'node:fs';

/** The files of a data directory this check looks at (what `instancePaths` gives). */
export interface DataDirectoryFiles {
  database: string;
  keyEncryptionKey: string;
  tlsDir: string;
  caCertificate: string;
  adminCredentials: string;
}

/** The KEK file's only valid length; `keystore/key-encryption-key.ts` refuses any other as well. */
const KEK_FILE_BYTES = 32;
const GROUP_OR_OTHERS = 0o077;
const WRITABLE_BY_GROUP_OR_OTHERS = 0o022;

/** Throws an Error whose message is the one line the operator needs, or returns when the directory may be opened. */
export function checkDataDirectory(dataDir: string, files: DataDirectoryFiles): void {
  if (!existsSync(dataDir)) return;
  for (const directory of [dataDir, files.tlsDir]) refuseWritableByOthers(directory, 'go-w');
  checkKeyEncryptionKey(files);
  for (const secret of [files.keyEncryptionKey, files.adminCredentials, ...databaseFiles(files.database)]) refuseOpenToOthers(secret);
  refuseWritableByOthers(files.caCertificate, '644');
}

function checkKeyEncryptionKey(files: DataDirectoryFiles): void {
  const kek = files.keyEncryptionKey;
  const hasDatabase = existsSync(files.database);
  if (!existsSync(kek)) {
    if (hasDatabase) {
      throw new Error(`${kek} is missing: without it the keys in ${files.database} cannot be opened; restore it from your backup`);
    }
    return;
  }
  const size = statSync(kek).size;
  if (size === KEK_FILE_BYTES) return;
  const what = `${kek} is ${size} bytes long, not a ${KEK_FILE_BYTES}-byte key-encryption key (damaged, or its first start did not finish)`;
  throw new Error(hasDatabase
    ? `${what}; the keys in ${files.database} need the original: restore it from your backup`
    : `${what}; no database uses it yet: remove it (or restore it from your backup) and start again`);
}

function databaseFiles(database: string): string[] {
  return [database, `${database}-wal`, `${database}-shm`];
}

function refuseOpenToOthers(path: string): void {
  const mode = modeOf(path);
  if (mode === undefined || (mode & GROUP_OR_OTHERS) === 0) return;
  const access = (mode & 0o044) !== 0 ? 'readable' : (mode & 0o022) !== 0 ? 'writable' : 'executable';
  throw new Error(`${path} is ${access} by other users; run: chmod 600 ${path}`);
}

function refuseWritableByOthers(path: string, chmod: string): void {
  const mode = modeOf(path);
  if (mode === undefined || (mode & WRITABLE_BY_GROUP_OR_OTHERS) === 0) return;
  throw new Error(`${path} is writable by other users; run: chmod ${chmod} ${path}`);
}

function modeOf(path: string): number | undefined {
  return existsSync(path) ? statSync(path).mode : undefined;
}
