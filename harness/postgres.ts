/**
 * A throw-away PostgreSQL for tests and CI.
 *
 * `testPostgres()` hands a test file a server it may create databases on: the one `STRONGROOM_TEST_STORE`
 * names (`postgres://user@host:port/db`, a role that may CREATE DATABASE; the databases made are dropped at the
 * end), or else one it starts itself from Debian's binaries (`/usr/lib/postgresql/<v>/bin`): `initdb` into a
 * temporary directory, trust authentication, listening on a free 127.0.0.1 port and on a Unix socket in that
 * directory, tuned for tests (no fsync). `initdb` refuses to run as root, so under root the cluster is made and
 * run by the `postgres` system user (`runuser`), which Debian's postgresql package creates. Starting one takes
 * well under two seconds; it is stopped, and its directory removed, when the file's tests end (or, at the
 * latest, when the test process exits).
 *
 * `STRONGROOM_POSTGRES_BIN` names another directory holding initdb, pg_ctl, postgres and psql. With neither
 * binaries nor `STRONGROOM_TEST_STORE`, `testPostgres()` rejects with a message saying what to install: the
 * PostgreSQL tests fail, they never skip.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const DEBIAN_ROOT = '/usr/lib/postgresql';

export const MISSING_POSTGRES =
  'PostgreSQL server binaries were not found (looked for initdb, pg_ctl, postgres and psql in ' +
  '$STRONGROOM_POSTGRES_BIN if set, else /usr/lib/postgresql/*/bin). ' +
  'Install them (apt-get install -y postgresql; .ci/run does), or set STRONGROOM_TEST_STORE=postgres://user@host:port/db ' +
  'to a server on which the tests may create databases.';

export interface TestPostgres {
  /** True when this process started the server (it may then be stopped and started again). */
  readonly owned: boolean;
  /** The URL of `database` on the server, as the administrative role. */
  url(database: string): string;
  /** A new empty database (or a copy of `template`); its name and URL. */
  createDatabase(options?: { template?: string }): Promise<{ name: string; url: string }>;
  /** The same, without awaiting (for factories that must return synchronously). */
  createDatabaseSync(options?: { template?: string }): { name: string; url: string };
  /** Runs one statement on the maintenance database as the administrative role. */
  admin(sql: string, values?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** Drops what was created (external server) or stops and removes the server (own). */
  close(): Promise<void>;
}

export interface OwnedPostgres extends TestPostgres {
  readonly owned: true;
  readonly port: number;
  /** Stops the server (fast shutdown: open connections are cut), keeping its data. */
  stop(): Promise<void>;
  /** Starts the stopped server again, on the same port. */
  start(): Promise<void>;
}

/** The server the tests of this file use: `STRONGROOM_TEST_STORE`'s, or one started here. */
export async function testPostgres(): Promise<TestPostgres> {
  const external = process.env.STRONGROOM_TEST_STORE;
  if (external !== undefined && external !== '') return externalServer(external);
  return startPostgres();
}

/** Whether this machine can start a server of its own (the outage tests need one they may stop). */
export function postgresBinariesPresent(): boolean {
  return findBinDir() !== undefined;
}

/** Starts a server of its own in a temporary directory, whatever `STRONGROOM_TEST_STORE` says. */
export async function startPostgres(): Promise<OwnedPostgres> {
  const bin = findBinDir();
  if (bin === undefined) throw new Error(MISSING_POSTGRES);
  const runAs = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-pg-'));
  if (runAs !== undefined) chownSync(dir, runAs.uid, runAs.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const asServer = (command: string, args: string[]) => asUser(runAs?.name, join(bin, command), args, dir);
  const stopNow = () => {
    const [command, args, options] = asServer('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
    spawnSync(command, args, { ...options, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopNow);
  try {
    await run(...asServer('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']));
    appendFileSync(join(data, 'postgresql.conf'), testSettings(dir));
    const port = await startOnFreePort(data, log, asServer);
    const base = `postgres://postgres@127.0.0.1:${port}`;
    const databases = databaseMaker((database) => `${base}/${database}`, join(bin, 'psql'));
    return {
      owned: true,
      port,
      ...databases,
      stop: async () => { await run(...asServer('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w'])); },
      start: async () => { await run(...asServer('pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '60'])); },
      close: async () => {
        process.removeListener('exit', stopNow);
        stopNow();
      },
    };
  } catch (error) {
    process.removeListener('exit', stopNow);
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    stopNow();
    throw new Error(`could not start a PostgreSQL server: ${(error as Error).message}\n${serverLog}`, { cause: error });
  }
}

function externalServer(url: string): TestPostgres {
  const at = (database: string) => {
    const parsed = new URL(url);
    parsed.pathname = `/${database}`;
    return parsed.toString();
  };
  const psql = findBinDir();
  const databases = databaseMaker(at, psql === undefined ? 'psql' : join(psql, 'psql'));
  return {
    owned: false,
    ...databases,
    close: async () => {
      for (const name of databases.created) await databases.admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    },
  };
}

let databaseCount = 0;

function databaseMaker(at: (database: string) => string, psql: string) {
  const created: string[] = [];
  const maintenance = at('postgres');
  const admin = async (sql: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: maintenance });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };
  const next = (template: string | undefined) => {
    const name = `strongroom_test_${process.pid}_${++databaseCount}`;
    created.push(name);
    const sql = `CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template ?? 'template0')}`;
    return { name, url: at(name), sql };
  };
  return {
    created,
    url: at,
    admin,
    createDatabase: async (options: { template?: string } = {}) => {
      const { name, url, sql } = next(options.template);
      await admin(sql);
      return { name, url };
    },
    createDatabaseSync: (options: { template?: string } = {}) => {
      const { name, url, sql } = next(options.template);
      execFileSync(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', maintenance, '-c', sql], { stdio: ['ignore', 'ignore', 'pipe'] });
      return { name, url };
    },
  };
}

function testSettings(dir: string): string {
  return [
    '',
    '# strongroom test server',
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'max_connections = 200',
    'shared_buffers = 32MB',
    'deadlock_timeout = 200ms',
    '',
  ].join('\n');
}

/** Picks a free port and starts there; another process may take the port in between, so it tries again. */
async function startOnFreePort(
  data: string,
  log: string,
  asServer: (command: string, args: string[]) => [string, string[], { cwd: string }],
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    appendFileSync(join(data, 'postgresql.conf'), `port = ${port}\n`);
    try {
      await run(...asServer('pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '60']));
      return port;
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `STRONGROOM_POSTGRES_BIN` if set (another layout), else the newest Debian bin directory with the tools. */
function findBinDir(): string | undefined {
  const override = process.env.STRONGROOM_POSTGRES_BIN;
  if (override !== undefined && override !== '') return hasServerTools(override) ? override : undefined;
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((entry) => /^\d+(\.\d+)?$/.test(entry))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(DEBIAN_ROOT, version, 'bin');
    if (hasServerTools(bin)) return bin;
  }
  return undefined;
}

function hasServerTools(bin: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres', 'psql'].every((tool) => existsSync(join(bin, tool)));
}

/** Under root, the system user that makes and runs the cluster; undefined when this process may itself. */
function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { name: 'postgres', uid, gid };
  } catch {
    throw new Error(
      "running as root, and there is no 'postgres' user to run the test PostgreSQL server as (initdb refuses root); " +
        'install the postgresql package, which creates it',
    );
  }
}

function asUser(user: string | undefined, command: string, args: string[], cwd: string): [string, string[], { cwd: string }] {
  if (user === undefined) return [command, args, { cwd }];
  return ['runuser', ['-u', user, '--', command, ...args], { cwd }];
}
