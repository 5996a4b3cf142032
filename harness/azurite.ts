/**
 * A throw-away Azure Blob Storage for tests: Azurite, Microsoft's emulator (the `azurite` devDependency), its blob
 * service alone, run by this process's Node on 127.0.0.1 and a port the system picks, with its data in a temporary
 * directory. It serves the well-known development account `devstoreaccount1` with path-style URLs
 * (`http://127.0.0.1:PORT/devstoreaccount1/container`), and checks SAS signatures and permissions as Azure does,
 * so tests can hand out good, weak and forged tokens.
 *
 * `startAzurite()` resolves once the service answers HTTP; `stop()` ends it and removes its directory (so does the
 * test process's exit, at the latest). A cold start (Azurite's modules not yet in the page cache) can take ten
 * seconds; a warm one about one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';

/** Azurite's development account and its published key (documented by Microsoft; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const START_TIMEOUT_MS = 60_000;

export interface TestAzurite {
  /** `http://127.0.0.1:PORT/devstoreaccount1`. */
  readonly accountUrl: string;
  /** Creates a container; its URL. */
  createContainer(name: string): Promise<string>;
  /** A container SAS (no leading `?`) signed with the account key. */
  sasFor(containerUrl: string, permissions?: string, expiresInMinutes?: number): string;
  /** The same, signed with another key: a forged token the service refuses. */
  forgedSasFor(containerUrl: string, permissions?: string): string;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<TestAzurite> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-azurite-'));
  const child = spawn(process.execPath, [blobServerScript(), ...azuriteArgs(dir)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  const removeNow = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeNow);
  let accountUrl: string;
  try {
    const port = await listeningPort(child);
    accountUrl = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
    await untilAnswering(accountUrl);
  } catch (error) {
    process.removeListener('exit', removeNow);
    removeNow();
    throw error;
  }
  const credential = new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_ACCOUNT_KEY);
  const service = new BlobServiceClient(accountUrl, credential, { retryOptions: { maxTries: 1 } });
  return {
    accountUrl,
    createContainer: async (name) => {
      const container = service.getContainerClient(name);
      await container.create();
      return container.url;
    },
    sasFor: (containerUrl, permissions = 'racwdl', expiresInMinutes = 60) => containerSas(containerUrl, permissions, expiresInMinutes, credential),
    forgedSasFor: (containerUrl, permissions = 'racwdl') =>
      containerSas(containerUrl, permissions, 60, new StorageSharedKeyCredential(DEV_ACCOUNT, Buffer.alloc(64, 7).toString('base64'))),
    stop: async () => {
      process.removeListener('exit', removeNow);
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The blob service's entry (`azurite-blob`), found through the package so the layout of node_modules does not matter. */
function blobServerScript(): string {
  return createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
}

function azuriteArgs(dir: string): string[] {
  return [
    '--blobHost', '127.0.0.1',
    '--blobPort', '0', // the system picks; Azurite prints the port it got
    '--location', dir,
    '--silent', // no access log
    '--skipApiVersionCheck', // the SDK may be newer than the emulator
    '--disableTelemetry',
  ];
}

function containerSas(containerUrl: string, permissions: string, expiresInMinutes: number, credential: StorageSharedKeyCredential): string {
  const containerName = decodeURIComponent(new URL(containerUrl).pathname.split('/').filter((part) => part !== '').pop() ?? '');
  const now = Date.now();
  return generateBlobSASQueryParameters(
    {
      containerName,
      permissions: ContainerSASPermissions.parse(permissions),
      startsOn: new Date(now - 5 * 60_000), // clock skew
      expiresOn: new Date(now + expiresInMinutes * 60_000),
      protocol: SASProtocol.HttpsAndHttp, // Azurite speaks http
    },
    credential,
  ).toString();
}

/** The port from Azurite's "successfully listens on http://127.0.0.1:PORT" line. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(new Error(`${error.message}\n--- Azurite output ---\n${output.slice(-2000)}`));
    };
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /successfully listens on https?:\/\/[^\s:]+:(\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        child.removeListener('exit', exited);
        resolve(Number(match[1]));
      }
    };
    const exited = (code: number | null) => fail(new Error(`Azurite exited with code ${code} before listening`));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', exited);
  });
}

/** Waits until the service answers an HTTP request at all (any status: an anonymous request is refused). */
async function untilAnswering(accountUrl: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const response = await fetch(`${accountUrl}?comp=properties&restype=service`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error('Azurite does not answer HTTP', { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
