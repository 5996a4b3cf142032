/**
 * Starts the real service for a test or a benchmark: `node src/main.ts serve` in a child process, HTTPS on a random port,
 * a temporary data directory, exactly as a user starts it. Hands back what a client needs: the URL, the CA
 * to trust, the administrator's credentials and an https.Agent that trusts the CA and resolves every
 * `*.localhost` name to 127.0.0.1 (names like `myvault.vault.localhost` do not resolve on their own).
 *
 * With `STRONGROOM_TEST_STORE=postgres://…` set (the second pass of `npm test` sets it), every server stores in
 * PostgreSQL instead: a fresh database on that server per data directory (a restart on the same data directory
 * finds its database again), unless the test asks for `store: 'sqlite'` because it is about the SQLite file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LookupFunction } from 'node:net';
import { testPostgres, type TestPostgres } from './postgres.ts';

export const projectRoot = join(import.meta.dirname, '..');

export interface AdminCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
}

export interface TestServer {
  port: number;
  dataDir: string;
  ca: string;
  credentials: AdminCredentials;
  agent: https.Agent;
  /** `https://localhost:PORT`, or `https://<name>:PORT` for a vault-style host name. */
  url(host?: string): string;
  stop(): Promise<void>;
}

/** A server this harness started, which it can also crash. */
export interface StartedServer extends TestServer {
  /** `kill -9` of the service (its primary process; workers exit with it), as a crash would. */
  kill(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  /**
   * `sqlite` keeps the data directory's SQLite file even when the run targets PostgreSQL; `{ postgres }` names
   * the database (the nodes of a cluster share one).
   */
  store?: 'run-default' | 'sqlite' | { postgres: string };
  workers?: number;
  args?: string[];
  env?: Record<string, string>;
}

/** Resolves localhost and any *.localhost name to the loopback address, inside this test process only. */
export const loopbackLookup: LookupFunction = (hostname, options, callback) => {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options.all === true) {
      (callback as (e: null, a: LookupAddress[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
    } else {
      callback(null, '127.0.0.1', 4);
    }
    return;
  }
  dnsLookup(hostname, options, callback);
};

export function temporaryDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'strongroom-test-'));
}

/** Databases made for data directories in this process, so that a restart finds its own again. */
const databases = new Map<string, string>();
let postgres: Promise<TestPostgres> | undefined;

/** The `--store` of a server on `dataDir`: none (SQLite) unless the run targets PostgreSQL. */
async function storeArgs(dataDir: string, options: StartOptions): Promise<string[]> {
  if (typeof options.store === 'object') return ['--store', options.store.postgres];
  if (!targetsPostgres() || options.store === 'sqlite') return [];
  let url = databases.get(dataDir);
  if (url === undefined) {
    postgres ??= testPostgres();
    url = (await (await postgres).createDatabase()).url;
    databases.set(dataDir, url);
  }
  return ['--store', url];
}

/** Whether this run stores in PostgreSQL (`STRONGROOM_TEST_STORE` is set). */
export function targetsPostgres(): boolean {
  return (process.env['STRONGROOM_TEST_STORE'] ?? '') !== '';
}

export async function startServer(options: StartOptions = {}): Promise<StartedServer> {
  const dataDir = options.dataDir ?? temporaryDataDir();
  const store = await storeArgs(dataDir, options);
  const child = spawn(
    process.execPath,
    [
      join(projectRoot, 'src', 'main.ts'), 'serve',
      '--port', '0',
      // A data directory given by environment is the server's to find (that is what the test checks).
      ...(options.env?.['STRONGROOM_DATA_DIR'] === undefined ? ['--data-dir', dataDir] : []),
      '--workers', String(options.workers ?? 1),
      '--log-level', 'warn',
      ...store,
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  const port = await listeningPort(child);
  const ca = readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8');
  const credentials = JSON.parse(readFileSync(join(dataDir, 'admin-credentials.json'), 'utf8')) as AdminCredentials;
  const agent = new https.Agent({ ca, keepAlive: true, lookup: loopbackLookup });
  return {
    port,
    dataDir,
    ca,
    credentials,
    agent,
    url: (host = 'localhost') => `https://${host}:${port}`,
    stop: async () => {
      agent.destroy();
      await stopChild(child);
    },
    kill: async () => {
      agent.destroy();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Stops a server and removes its data directory. */
export async function disposeServer(server: TestServer): Promise<void> {
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => fail(new Error('the server did not start within 60 s')), 60_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- server stderr ---\n${stderr}`));
    };
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Strongroom listening on https:\/\/[^\s:]+:(\d+)\n/.exec(stdout);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => fail(new Error(`the server exited with code ${code} before listening`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.removeAllListeners('exit');
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
