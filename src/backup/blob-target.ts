/**
 * A backup folder in an Azure Blob Storage container (or Azurite): the container's URL plus a SAS token, the
 * folder a prefix (`folder/`) and each object one block blob under it. A block blob appears whole or not at all,
 * so a write is atomic without more ado.
 *
 * The SDK retries what is worth retrying (its exponential policy, bounded by `BackupTargetOptions.retry`), each
 * operation within a deadline (`timeoutMs`); what still fails becomes a `BackupTargetError`. Its message is built here from the container URL without its query,
 * the HTTP status and the storage error code, never from the SDK's error, whose request carries the SAS token:
 * the token appears in no message, and the SDK's error is not kept as a cause.
 *
 * Creating a folder lists the prefix to see that it is free, and opening one lists it to see that it holds
 * something, so the token needs list permission besides read, add, create and write.
 */
import { AnonymousCredential, ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import {
  BackupTargetError,
  checkObjectName,
  folderUriOf,
  type BackupFolder,
  type BackupTargetOptions,
} from './backup-target.ts';

const PERMISSIONS_HINT = 'check that the SAS token is valid, not expired, and grants read, add, create, write and list (racwl) on the container';

/** A new folder: fails ('invalid-location') when blobs already live under `folderName/`. */
export async function createBlobFolder(container: URL, token: string | undefined, folderName: string, options: BackupTargetOptions): Promise<BackupFolder> {
  const folder = new BlobFolder(container, clientOf(container, token, options), folderName, options);
  if (await folder.holdsObjects()) {
    throw new BackupTargetError('invalid-location', `The backup folder ${folder.uri} already exists; a backup never writes into an existing folder.`);
  }
  return folder;
}

/** An existing folder: 'not-found' when no blob lives under `folderName/`. */
export async function openBlobFolder(container: URL, token: string | undefined, folderName: string, options: BackupTargetOptions): Promise<BackupFolder> {
  const folder = new BlobFolder(container, clientOf(container, token, options), folderName, options);
  if (!(await folder.holdsObjects())) throw new BackupTargetError('not-found', `There is no backup folder ${folder.uri}.`);
  return folder;
}

class BlobFolder implements BackupFolder {
  readonly uri: string;
  readonly #container: string;
  readonly #client: ContainerClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(container: URL, client: ContainerClient, folderName: string, options: BackupTargetOptions) {
    this.uri = folderUriOf(container, folderName);
    this.#container = container.href.replace(/\/+$/, '');
    this.#client = client;
    this.#prefix = `${folderName}/`;
    this.#timeoutMs = options.timeoutMs ?? 600_000;
  }

  async write(name: string, data: Uint8Array): Promise<void> {
    checkObjectName(name);
    await this.#guard(name, () =>
      this.#client.getBlockBlobClient(this.#prefix + name).uploadData(data, { blobHTTPHeaders: { blobContentType: 'application/octet-stream' }, abortSignal: this.#deadline() }));
  }

  async read(name: string): Promise<Buffer> {
    checkObjectName(name);
    return this.#guard(name, () => this.#client.getBlockBlobClient(this.#prefix + name).downloadToBuffer(0, undefined, { abortSignal: this.#deadline() }));
  }

  async list(prefix = ''): Promise<string[]> {
    return this.#guard(undefined, async () => {
      const names: string[] = [];
      for await (const blob of this.#client.listBlobsFlat({ prefix: this.#prefix + prefix, abortSignal: this.#deadline() })) names.push(blob.name.slice(this.#prefix.length));
      return names.sort();
    });
  }

  /** Whether any blob lives under the folder's prefix (one listing call, one result at most). */
  holdsObjects(): Promise<boolean> {
    return this.#guard(undefined, async () => {
      const page = await this.#client.listBlobsFlat({ prefix: this.#prefix, abortSignal: this.#deadline() }).byPage({ maxPageSize: 1 }).next();
      return page.done !== true && page.value.segment.blobItems.length > 0;
    });
  }

  /**
   * The SDK's retry policy has no client-side timeout (its try timeout is only a hint sent to the server), so a
   * service that accepts connections and never answers would hold an operation forever: each one gets a deadline.
   */
  #deadline(): AbortSignal {
    return AbortSignal.timeout(this.#timeoutMs);
  }

  async #guard<T>(object: string | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw targetErrorOf(error, this.#container, object === undefined ? undefined : `${this.uri}/${object}`);
    }
  }
}

function clientOf(container: URL, token: string | undefined, options: BackupTargetOptions): ContainerClient {
  const base = container.href.replace(/\/+$/, '');
  if (container.pathname.replace(/\/+$/, '') === '') {
    throw new BackupTargetError('invalid-location', `${base} names no container (https://account.blob.core.windows.net/container)`);
  }
  const sas = (token ?? '').replace(/^\?/, '');
  if (sas === '') {
    throw new BackupTargetError('access-denied', `A SAS token for ${base} is needed: Strongroom has no managed identity for Azure Storage.`);
  }
  try {
    return new ContainerClient(`${base}?${sas}`, new AnonymousCredential(), pipelineOptions(options));
  } catch {
    throw new BackupTargetError('invalid-location', `${base} is not a blob container URL`);
  }
}

function pipelineOptions(options: BackupTargetOptions): StoragePipelineOptions {
  const retry = options.retry ?? {};
  return {
    retryOptions: {
      maxTries: retry.maxTries ?? 4,
      retryDelayInMs: retry.retryDelayMs ?? 1_000,
      maxRetryDelayInMs: retry.maxRetryDelayMs ?? 8_000,
    },
  };
}

/** Error codes of a request the storage refused as malformed: the location, not the service, is at fault. */
const BAD_LOCATION_CODES = new Set(['InvalidResourceName', 'InvalidUri', 'OutOfRangeInput', 'InvalidUrl', 'UnsupportedHttpVerb']);

/** The SDK's failure as a target error, from its status and code alone (its message and request may hold the token). */
function targetErrorOf(error: unknown, container: string, object: string | undefined): unknown {
  const failure = failureOf(error);
  if (failure === undefined) return error; // not a storage failure: a bug, reported as it is
  const { status, code } = failure;
  const said = `${status ?? 'no answer'}${code === undefined ? '' : ` ${code}`}`;
  if (status === 404 || code === 'ContainerNotFound' || code === 'BlobNotFound') {
    return code === 'ContainerNotFound' || object === undefined
      ? new BackupTargetError('not-found', `The blob container ${container} does not exist.`)
      : new BackupTargetError('not-found', `The backup object ${object} does not exist.`);
  }
  if (status === 401 || status === 403) return new BackupTargetError('access-denied', `The storage refused access to ${container} (${said}): ${PERMISSIONS_HINT}.`);
  if (status === 400 && code !== undefined && BAD_LOCATION_CODES.has(code)) return new BackupTargetError('invalid-location', `${container} is not a usable blob container URL (${said}).`);
  return new BackupTargetError('unavailable', `The blob storage at ${container} could not be reached or did not answer (${said}); try again later.`);
}

/** Status and storage code of an SDK failure (a RestError, or the AbortError of an operation past its deadline); undefined for anything else. */
function failureOf(error: unknown): { status: number | undefined; code: string | undefined } | undefined {
  if (!(error instanceof Error) || (error.name !== 'RestError' && error.name !== 'AbortError')) return undefined;
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : undefined;
  const raw = 'code' in error && typeof error.code === 'string' ? error.code : error.name === 'AbortError' ? 'Timeout' : undefined;
  // Only a plain identifier is quoted; anything else might carry text from the request.
  const code = raw !== undefined && /^[A-Za-z0-9_]{1,64}$/.test(raw) ? raw : undefined;
  return { status, code };
}
