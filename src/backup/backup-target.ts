/**
 * Where a full backup is written and read back (reference §5.3): an Azure Blob Storage container named by its URL
 * and a SAS token, or a `file:///…` directory for operators without blob storage. The backup runner sees only a
 * `BackupFolder` (flat object names, bytes in and out) and a `BackupTargetError` with one of four kinds, so it
 * never learns which storage it writes to, and no storage error text (which may quote a URL, and with it a
 * SAS token) reaches a job's status.
 *
 * The two targets live in blob-target.ts and folder-target.ts; they use this module's error and name checks only
 * inside functions, so the import cycle between them and this file is harmless.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createBlobFolder, openBlobFolder } from './blob-target.ts';
import { createDirectoryFolder, openDirectoryFolder } from './folder-target.ts';

/** One backup folder: the objects of one full backup (a manifest and encrypted objects), flat names like `keys/abc.json`. */
export interface BackupFolder {
  /** The folder's URI as the client sees it: `https://acct.blob.../container/folder` or `file:///path/folder`. */
  readonly uri: string;
  write(name: string, data: Uint8Array): Promise<void>;
  /** BackupTargetError kind 'not-found' when missing. */
  read(name: string): Promise<Buffer>;
  /** Names, sorted. */
  list(prefix?: string): Promise<string[]>;
}

export type BackupTargetErrorKind = 'invalid-location' | 'not-found' | 'access-denied' | 'unavailable';

/** A target failure; its message is safe to show a client (it names the location, never a token). */
export class BackupTargetError extends Error {
  readonly kind: BackupTargetErrorKind;
  constructor(kind: BackupTargetErrorKind, message: string) {
    super(message);
    this.name = 'BackupTargetError';
    this.kind = kind;
  }
}

export interface BackupLocation {
  /** A container URL (`https://acct.blob.core.windows.net/container`) or a directory (`file:///var/backups`). */
  storageResourceUri: string;
  /** The SAS token of the container (with or without a leading `?`); ignored for a directory. */
  token?: string | undefined;
}

/** How hard a blob target tries before it says 'unavailable'; tests lower it. A directory ignores it. */
export interface BackupTargetOptions {
  /** Time allowed for one read, write or listing, its retries included (default 10 min: a few MB on a slow link). */
  timeoutMs?: number | undefined;
  /** The SDK's retry policy. */
  retry?: {
    /** Attempts per request, the first included (default 4). */
    maxTries?: number | undefined;
    /** First delay between attempts, doubled each time (default 1 s). */
    retryDelayMs?: number | undefined;
    /** Longest delay between attempts (default 8 s). */
    maxRetryDelayMs?: number | undefined;
  } | undefined;
}

/** Creates a new folder for a backup (fails if it exists); `folderName` e.g. `strongroom-backup-20261202T013000Z-<short id>`. */
export function createBackupFolder(location: BackupLocation, folderName: string, options: BackupTargetOptions = {}): Promise<BackupFolder> {
  return targetOf(location, folderName).then((target) =>
    target.kind === 'blob' ? createBlobFolder(target.url, location.token, folderName, options) : createDirectoryFolder(target.url, folderName));
}

/** Opens an existing folder for a restore; 'not-found' when it does not exist (no manifest / no blobs). */
export function openBackupFolder(location: BackupLocation, folderName: string, options: BackupTargetOptions = {}): Promise<BackupFolder> {
  return targetOf(location, folderName).then((target) =>
    target.kind === 'blob' ? openBlobFolder(target.url, location.token, folderName, options) : openDirectoryFolder(target.url, folderName));
}

/** Splits a folder URI the way the Azure SDK does (`https://acct/container/folder` → container URL + folder name); also `file:///a/b/folder`. */
export function splitFolderUri(folderUri: string): { storageResourceUri: string; folderName: string } {
  const url = parseLocation(folderUri);
  const segments = url.pathname.replace(/\/+$/, '').split('/').slice(1);
  const last = segments.pop();
  // A blob folder needs a container above it; a directory may sit at the root.
  if (last === undefined || (url.protocol !== 'file:' && segments.length === 0)) {
    throw new BackupTargetError('invalid-location', `${safeText(folderUri)} names no backup folder inside a container or directory (https://account.blob.core.windows.net/container/folder, file:///path/folder)`);
  }
  const folderName = decodeSegment(last);
  checkFolderName(folderName);
  const parent = new URL(url.href);
  parent.pathname = `/${segments.join('/')}`;
  const storageResourceUri = url.protocol === 'file:' ? parent.href : parent.href.replace(/\/+$/, '');
  return { storageResourceUri, folderName };
}

/** Throws 'invalid-location' unless `name` is a relative object name that stays inside its folder. */
export function checkObjectName(name: string): void {
  const segments = name.split('/');
  const bad = name === '' || name.includes('\\') || /[\u0000-\u001f\u007f]/.test(name) || segments.some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad) throw new BackupTargetError('invalid-location', `${JSON.stringify(name.slice(0, 200))} is not a backup object name (relative, '/'-separated, no '.' or '..' parts, no backslashes)`);
}

/** Throws 'invalid-location' unless `folderName` is one path segment. */
export function checkFolderName(folderName: string): void {
  if (folderName.includes('/')) {
    throw new BackupTargetError('invalid-location', `${JSON.stringify(folderName.slice(0, 200))} is not a backup folder name (one path segment)`);
  }
  checkObjectName(folderName);
}

/** A target's URL without its query: what messages and folder URIs show. */
export function folderUriOf(base: URL, folderName: string): string {
  return `${base.href.replace(/\/+$/, '')}/${encodeURIComponent(folderName)}`;
}

type Target = { kind: 'blob'; url: URL } | { kind: 'directory'; url: URL };

async function targetOf(location: BackupLocation, folderName: string): Promise<Target> {
  const url = parseLocation(location.storageResourceUri);
  checkFolderName(folderName);
  return url.protocol === 'file:' ? { kind: 'directory', url } : { kind: 'blob', url };
}

/** `https:` anywhere, `http:` only on this machine (Azurite), `file:` without a host; no query, fragment or user. */
function parseLocation(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BackupTargetError('invalid-location', `${safeText(raw)} is not a URL: give a blob container URL (https://…) or a directory (file:///…)`);
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  const problem =
    url.protocol !== 'https:' && url.protocol !== 'file:' && !(url.protocol === 'http:' && local)
      ? 'is neither an https:// container URL nor a file:/// directory'
      : url.search !== '' || url.hash !== ''
        ? 'must not carry a query or fragment (give the SAS token apart, as token)'
        : url.username !== '' || url.password !== ''
          ? 'must not carry credentials'
          : url.protocol === 'file:' && url.host !== '' && url.host !== 'localhost'
            ? 'names a directory on another host (file:///path names one on this machine)'
            : undefined;
  if (problem !== undefined) throw new BackupTargetError('invalid-location', `${safeText(raw)} ${problem}`);
  if (url.protocol === 'file:') return localFileUrl(url, raw);
  return url;
}

/** Normalizes `file://localhost/x` to `file:///x`; refuses what names no path on this machine (`%2F` in a name). */
function localFileUrl(url: URL, raw: string): URL {
  try {
    return pathToFileURL(fileURLToPath(url));
  } catch {
    throw new BackupTargetError('invalid-location', `${safeText(raw)} names no directory on this machine`);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BackupTargetError('invalid-location', `${safeText(segment)} is not a valid folder name`);
  }
}

/** A location as messages quote it: without credentials, up to its query (which may hold a SAS token), at most 300 characters. */
export function safeText(raw: string): string {
  const cut = raw.search(/[?#]/);
  const bare = (cut === -1 ? raw : raw.slice(0, cut)).replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, '$1');
  return JSON.stringify(bare.slice(0, 300));
}
