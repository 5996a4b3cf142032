/**
 * Backup locations as the commands take them and as the REST API wants them (reference §5.3): an Azure Blob
 * Storage container URL (a SAS token apart, in --sas-token), or a `file:///…` directory; a plain path is taken
 * as a directory. A restore names one backup folder, which is split, as the Azure SDK splits it, into the
 * container URL and the folder name (`https://acct/container/folder` → `https://acct/container` + `folder`).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './command.ts';

/** `--to`: a container URL or a directory, as a URL string without a trailing slash. */
export function storageUrlOf(raw: string, flag: string): string {
  const url = parse(raw, flag);
  if (url.search !== '') throw new UsageError(`${flag}: give the SAS token with --sas-token, not in the URL`);
  const text = url.href.replace(/\/+$/, '');
  return text;
}

/** `--from`: the container URL and the folder name of one backup. */
export function splitFolderUrl(raw: string, flag: string): { containerUri: string; folder: string } {
  const text = storageUrlOf(raw, flag);
  const cut = text.lastIndexOf('/');
  const containerUri = text.slice(0, cut);
  const folder = decodeURIComponent(text.slice(cut + 1));
  const minimal = text.startsWith('file:') ? 'file:///' : `${new URL(text).origin}/`;
  if (folder === '' || `${containerUri}/`.length <= minimal.length) {
    throw new UsageError(`${flag} names one backup folder inside a container or directory, e.g. https://account.blob.core.windows.net/backups/mhsm-… or file:///var/backups/mhsm-…`);
  }
  return { containerUri, folder };
}

function parse(raw: string, flag: string): URL {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(raw) || (raw.length > 1 && raw[1] === ':')) {
    // A path (Windows drive letters included): a directory.
    return pathToFileURL(isAbsolute(raw) ? raw : resolve(raw));
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${flag} ${raw} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'file:') throw new UsageError(`${flag} must be an https:// container URL or a file:/// directory`);
  if (url.protocol === 'file:' && url.host !== '') throw new UsageError(`${flag}: a file URL names a local directory: file:///path`);
  return url;
}
