/**
 * What a start checks in the data directory before it opens anything, so that a directory that is unsafe or
 * half-made stops the service with one line naming the file and what to do, instead of a stack trace later.
 *
 * Refused:
 * - the data directory, or its `tls/` directory, writable by group or others (anyone who can write there can
 *   swap the files the service trusts): "… is writable by other users; run: chmod go-w …";
 * - a secret file readable or writable by group or others: the unseal key, an earlier release's key-encryption
 *   key, `admin-credentials.json`, `strongroom.db` and its `-wal` / `-shm` files when present: "… is readable by
 *   other users; run: chmod 600 …";
 * - `tls/ca.pem` writable by group or others (it is public, mode 0644, so reading it is fine);
 * - an unseal key file of the wrong length (a first start that died while making it, or a damaged copy).
 * A missing unseal key next to a database is refused by the file unseal provider, which knows whether the
 * store holds a domain it wraps (custody/unseal/file-unseal.ts).
 *
 * A missing data directory or missing files are not refused: the first start creates them.
 * The credentials file's content is checked where it is read (`admin-principal.ts`).
 */
import { existsSync, statSync } from 'node:fs';

/** The files of a data directory this check looks at (what `instancePaths` gives). */
export interface DataDirectoryFiles {
  database: string;
  unsealKey: string;
  legacyKeyEncryptionKey: string;
  tlsDir: string;
  caCertificate: string;
  adminCredentials: string;
}

/** The unseal key file's only valid length; the file unseal provider refuses any other as well. */
const UNSEAL_KEY_FILE_BYTES = 32;
const GROUP_OR_OTHERS = 0o077;
const WRITABLE_BY_GROUP_OR_OTHERS = 0o022;

/** Throws an Error whose message is the one line the operator needs, or returns when the directory may be opened. */
export function checkDataDirectory(dataDir: string, files: DataDirectoryFiles): void {
  if (!existsSync(dataDir)) return;
  for (const directory of [dataDir, files.tlsDir]) refuseWritableByOthers(directory, 'go-w');
  checkUnsealKey(files);
  for (const secret of [files.unsealKey, files.legacyKeyEncryptionKey, files.adminCredentials, ...databaseFiles(files.database)]) refuseOpenToOthers(secret);
  refuseWritableByOthers(files.caCertificate, '644');
}

function checkUnsealKey(files: DataDirectoryFiles): void {
  const key = files.unsealKey;
  if (!existsSync(key)) return;
  const size = statSync(key).size;
  if (size === UNSEAL_KEY_FILE_BYTES) return;
  const what = `${key} is ${size} bytes long, not a ${UNSEAL_KEY_FILE_BYTES}-byte unseal key (damaged, or its first start did not finish)`;
  throw new Error(existsSync(files.database)
    ? `${what}; the domain in ${files.database} needs the original: restore it from your backup`
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
