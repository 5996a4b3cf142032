/**
 * The scale part of the benchmark: do reads stay flat from a thousand to a million keys, on both backends, and
 * does start-up stay flat (a node must not load every key when it starts)?
 *
 * For each backend and each size:
 * 1. A fresh data directory (and, for PostgreSQL, a fresh database on a throw-away server): the real service is
 *    started once on it and stopped, so that it lays out the data directory, KEK, settings and schema itself.
 * 2. Seeding through the store layer, not the API (`seed-keys.ts`): on SQLite `unit.keys.addKeyVersion` in
 *    units of work of 10,000 keys; on PostgreSQL the first key that way and the rest with one bulk
 *    `INSERT … SELECT FROM unnest(…)` per 10,000 (the repository's path makes two round trips per key, about
 *    4,000 keys/s here, which would take minutes for a million); the bulk rows are checked to be the
 *    repository's (every column but the per-key ones equal to the first key's row). Sample keys are read back
 *    through the store. PostgreSQL is then `VACUUM ANALYZE`d, as autovacuum would have done on a database that
 *    grew to this size (SQLite: nothing, the service never runs ANALYZE).
 * 3. Start-up: the service with 2 workers, from spawn to its "Strongroom listening" line (what `startServer`
 *    waits for), and the resident memory of its processes right after.
 * 4. Load with wrk (1 thread, 16 keep-alive connections, 1 s warm-up then 5 s measured per row, same Lua
 *    script both times), each request's target chosen by the script with a fixed seed:
 *    - `GET /keys/{name}` of a random seeded key over the whole name range (the service's key caches hold
 *      10,000 entries per process, so from 100,000 keys on almost every request reaches the database);
 *    - `GET /keys/{name}` of one hot key (always cached);
 *    - `GET /keys?maxresults=25` from a random position (`$skiptoken` = base64url of a lower-cased name, as
 *      `src/api/paging.ts` encodes it), i.e. a full page of 25 from anywhere in the range.
 *
 * `node bench/scale.ts` prints the markdown table (progress on stderr); `BENCH_SCALE_SIZES=1000,100000,1000000`
 * (the default) and `BENCH_SCALE_BACKENDS=sqlite,postgres` (the default) choose what to run. `bench/run.ts`
 * can call `runScaleBench` and `scaleMarkdown` instead.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { accessToken, apiClient } from '../harness/https-requests.ts';
import { startPostgres, type OwnedPostgres } from '../harness/postgres.ts';
import { startServer, temporaryDataDir, type StartOptions } from '../harness/server-process.ts';
import { nowIntDate } from '../src/lib/intdate.ts';
import { openStore, type StoreLocation } from '../src/storage/open-store.ts';
import { RESULT_HOOK, runScript, type LoadResult } from './wrk.ts';
import { checkSeeded, MAX_SEEDED_KEYS, NAME_DIGITS, NAME_PREFIX, seededName, seedPostgresBulk, seedThroughStore, type SeedOutcome } from './seed-keys.ts';

export type ScaleBackend = 'sqlite' | 'postgres';

/** req/s, p50, p99 and errors of one wrk run (non-2xx answers and socket errors count as errors). */
export type ScaleLoad = LoadResult;

export interface ScaleResult {
  backend: ScaleBackend;
  keys: number;
  seeding: {
    /** `store layer`: addKeyVersion throughout; `bulk SQL`: the first key so, the others by bulk insert. */
    method: 'store layer' | 'bulk SQL';
    seconds: number;
    keysPerSecond: number;
    /** PostgreSQL: the VACUUM ANALYZE after seeding (not part of the rate). */
    vacuumAnalyzeSeconds?: number | undefined;
  };
  /** From spawn to the "Strongroom listening" line, 2 workers. */
  startupSeconds: number;
  /** Resident memory of the service's processes (primary and workers) right after start-up. */
  startupRssMiB: number;
  getKeyRandom: ScaleLoad;
  getKeyHot: ScaleLoad;
  listPage: ScaleLoad;
}

export interface ScaleOptions {
  sizes?: number[];
  backends?: ScaleBackend[];
  log?: (line: string) => void;
}

export const DEFAULT_SCALE_SIZES = [1_000, 100_000, 1_000_000];
const WORKERS = 2;
const CONNECTIONS = 16;
const WARMUP_SECONDS = 1;
const SECONDS = 5;
const BATCH = 10_000;
const PAGE = 25;
const API_VERSION = '7.6';

export async function runScaleBench(options: ScaleOptions = {}): Promise<ScaleResult[]> {
  const sizes = options.sizes ?? DEFAULT_SCALE_SIZES;
  const backends = options.backends ?? ['sqlite', 'postgres'];
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const size of sizes) {
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_SEEDED_KEYS) throw new RangeError(`scale sizes run from 1 to ${MAX_SEEDED_KEYS} keys, not ${size}`);
  }
  requireWrk();
  const results: ScaleResult[] = [];
  let postgres: OwnedPostgres | undefined;
  try {
    for (const backend of backends) {
      if (backend === 'postgres') postgres ??= await startPostgres();
      for (const size of sizes) results.push(await runOne(backend, size, postgres, log));
    }
  } finally {
    await postgres?.close();
  }
  return results;
}

async function runOne(backend: ScaleBackend, size: number, postgres: OwnedPostgres | undefined, log: (line: string) => void): Promise<ScaleResult> {
  const label = `scale ${backend} ${size.toLocaleString('en-US')} keys`;
  const dataDir = temporaryDataDir();
  const database = backend === 'postgres' ? await requirePostgres(postgres).createDatabase() : undefined;
  const store: StartOptions['store'] = database === undefined ? 'sqlite' : { postgres: database.url };
  const location: StoreLocation = database === undefined
    ? { backend: 'sqlite', path: join(dataDir, 'strongroom.db') }
    : { backend: 'postgres', url: database.url };
  try {
    // The service makes its data directory, KEK, settings and schema itself.
    await (await startServer({ dataDir, store, workers: 1 })).stop();

    log(`${label}: seeding…`);
    const seeding = await seed(location, size, (done) => {
      if (done % 100_000 === 0 && done < size) log(`${label}: seeded ${done.toLocaleString('en-US')}`);
    });
    log(`${label}: seeded in ${seeding.seconds.toFixed(1)} s (${Math.round(seeding.keysPerSecond).toLocaleString('en-US')} keys/s, ${seeding.method})` +
      (seeding.vacuumAnalyzeSeconds === undefined ? '' : `, VACUUM ANALYZE ${seeding.vacuumAnalyzeSeconds.toFixed(1)} s`));

    const started = performance.now();
    const server = await startServer({ dataDir, store, workers: WORKERS });
    const startupSeconds = (performance.now() - started) / 1000;
    try {
      const startupRssMiB = serviceRssMiB(dataDir);
      log(`${label}: start-up ${startupSeconds.toFixed(2)} s, ${Math.round(startupRssMiB)} MiB resident`);
      const token = await accessToken(server);
      await probe(server, token, size);
      const base = server.url();
      const measure = (what: string, script: string, path: string) => {
        const url = `${base}${path}`;
        runWrk(script, url, WARMUP_SECONDS);
        const result = runWrk(script, url, SECONDS);
        log(`${label}: ${what}: ${formatLoad(result)}`);
        return result;
      };
      const hot = seededName(Math.floor(size / 2));
      return {
        backend,
        keys: size,
        seeding,
        startupSeconds,
        startupRssMiB,
        getKeyRandom: measure('get key, random', randomKeyScript(token, size), '/'),
        getKeyHot: measure('get key, hot', fixedScript(token), `/keys/${hot}?api-version=${API_VERSION}`),
        listPage: measure('list page', listPageScript(token, size), '/'),
      };
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    if (database !== undefined) await requirePostgres(postgres).admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database.name)} WITH (FORCE)`);
  }
}

function requirePostgres(postgres: OwnedPostgres | undefined): OwnedPostgres {
  if (postgres === undefined) throw new Error('no PostgreSQL server was started');
  return postgres;
}

async function seed(location: StoreLocation, size: number, onProgress: (done: number) => void): Promise<ScaleResult['seeding']> {
  const created = nowIntDate();
  // The files the store creates beside the database (-wal, -shm) must be the owner's only, as the service's are.
  const umask = process.umask(0o077);
  const started = performance.now();
  try {
    const store = await openStore(location, { migrate: false });
    try {
      let outcome: SeedOutcome;
      if (location.backend === 'sqlite') {
        outcome = await seedThroughStore(store, { from: 0, count: size, batch: BATCH, created, onProgress });
      } else {
        const first = await seedThroughStore(store, { from: 0, count: 1, batch: 1, created });
        const rest = await seedPostgresBulk(location.url, { from: 1, count: size - 1, batch: BATCH, created, onProgress: (done) => onProgress(done + 1) });
        outcome = { samples: [...first.samples, ...rest.samples] };
      }
      await checkSeeded(store, outcome.samples);
    } finally {
      await store.close();
    }
    const seconds = (performance.now() - started) / 1000;
    if (location.backend === 'sqlite') return { method: 'store layer', seconds, keysPerSecond: size / seconds };
    await checkBulkRows(location.url, size);
    const vacuumStarted = performance.now();
    await onPostgres(location.url, (client) => client.query('VACUUM ANALYZE'));
    return { method: 'bulk SQL', seconds, keysPerSecond: size / seconds, vacuumAnalyzeSeconds: (performance.now() - vacuumStarted) / 1000 };
  } finally {
    process.umask(umask);
  }
}

async function onPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'strongroom-bench-seed' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The bulk rows must be the ones the repository writes: every column of a bulk-inserted key and version, but
 * those that differ per key, equal to those of key 0 (added by `addKeyVersion`), whatever columns the schema has.
 */
async function checkBulkRows(url: string, size: number): Promise<void> {
  if (size < 2) return;
  const names = [seededName(0), seededName(size - 1)];
  await onPostgres(url, async (client) => {
    const compare = async (sql: string) => {
      const rows = (await client.query<{ row: unknown }>(sql, [names])).rows.map((row) => JSON.stringify(row.row));
      if (rows.length !== 2 || rows[0] !== rows[1]) throw new Error(`bulk-inserted rows differ from the repository's:\n${rows.join('\n')}`);
    };
    await compare(`SELECT to_jsonb(k) - 'name_lc' - 'name' AS row FROM keys k WHERE name_lc = ANY($1)`);
    await compare(
      `SELECT to_jsonb(v) - ARRAY['seq', 'name_lc', 'version', 'public_jwk', 'sealed_material'] AS row FROM key_versions v WHERE name_lc = ANY($1)`,
    );
    const [counts] = (await client.query<{ keys: string; versions: string }>(
      'SELECT (SELECT count(*) FROM keys) AS keys, (SELECT count(*) FROM key_versions) AS versions',
    )).rows;
    if (Number(counts?.keys) !== size || Number(counts?.versions) !== size) throw new Error(`seeded ${JSON.stringify(counts)}, expected ${size} of each`);
  });
}

/** The requests the load scripts make must succeed and mean what they should. */
async function probe(server: Parameters<typeof apiClient>[0], token: string, size: number): Promise<void> {
  const api = apiClient(server, token, API_VERSION);
  for (const index of [0, size - 1]) {
    const key = await api.get(`/keys/${seededName(index)}`);
    if (key.status !== 200 || !String(key.json?.key?.kid).includes(`/keys/${seededName(index)}/`)) {
      throw new Error(`probe GET /keys/${seededName(index)}: ${key.status} ${key.text.slice(0, 300)}`);
    }
  }
  const start = Math.max(0, Math.floor(size / 3) - 1);
  const page = await api.get(`/keys?maxresults=${PAGE}&$skiptoken=${Buffer.from(seededName(start)).toString('base64url')}`);
  const expected = Math.min(PAGE, size - start - 1);
  const first = page.json?.value?.[0]?.kid as string | undefined;
  if (page.status !== 200 || page.json.value.length !== expected || (expected > 0 && !first?.endsWith(`/keys/${seededName(start + 1)}`))) {
    throw new Error(`probe list page after ${seededName(start)}: ${page.status} ${page.text.slice(0, 300)}`);
  }
}

/** Sum of the resident memory of the processes whose command line names this data directory. */
function serviceRssMiB(dataDir: string): number {
  let kib = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(dataDir)) continue;
      kib += Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // The process ended in between.
    }
  }
  return kib / 1024;
}

// ---- wrk ----

function requireWrk(): void {
  if (spawnSync('wrk', ['--version']).error !== undefined) {
    throw new Error('the scale benchmark needs wrk (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk).');
  }
}

function luaString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Headers, a fixed random seed, and the `done` hook that prints one JSON line of results. */
function scriptFrame(token: string, body: string[]): string {
  return [
    'wrk.method = "GET"',
    `wrk.headers["Authorization"] = ${luaString(`Bearer ${token}`)}`,
    'math.randomseed(20240601)',
    ...body,
    RESULT_HOOK,
    '',
  ].join('\n');
}

/** The URL's own path every time. */
function fixedScript(token: string): string {
  return scriptFrame(token, []);
}

const LUA_NAME = `string.format(${luaString(`${NAME_PREFIX}%0${NAME_DIGITS}d`)}, math.random(0, n - 1))`;

/** `GET /keys/{name}` of a key drawn uniformly from all `size` seeded ones. */
function randomKeyScript(token: string, size: number): string {
  return scriptFrame(token, [
    `local n = ${size}`,
    'request = function()',
    `  return wrk.format(nil, "/keys/" .. ${LUA_NAME} .. "?api-version=${API_VERSION}")`,
    'end',
  ]);
}

/** `GET /keys?maxresults=25` after a random seeded name, early enough in the range for a full page. */
function listPageScript(token: string, size: number): string {
  return scriptFrame(token, [
    `local n = ${Math.max(1, size - PAGE)}`,
    'local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"',
    'local function digit(value) return alphabet:sub(value + 1, value + 1) end',
    '-- base64url without padding, as Buffer.from(position).toString("base64url")',
    'local function base64url(text)',
    '  local out = {}',
    '  for i = 1, #text, 3 do',
    '    local a, b, c = text:byte(i, i + 2)',
    '    local v = a * 65536 + (b or 0) * 256 + (c or 0)',
    '    out[#out + 1] = digit(math.floor(v / 262144)) .. digit(math.floor(v / 4096) % 64)',
    '    if b then out[#out + 1] = digit(math.floor(v / 64) % 64) end',
    '    if c then out[#out + 1] = digit(v % 64) end',
    '  end',
    '  return table.concat(out)',
    'end',
    'request = function()',
    `  return wrk.format(nil, "/keys?api-version=${API_VERSION}&maxresults=${PAGE}&$skiptoken=" .. base64url(${LUA_NAME}))`,
    'end',
  ]);
}

function runWrk(script: string, url: string, seconds: number): ScaleLoad {
  return runScript(script, url, { seconds, connections: CONNECTIONS });
}

// ---- report ----

const whole = (value: number) => Math.round(value).toLocaleString('en-US');

function formatLoad(load: ScaleLoad): string {
  const errors = load.errors === 0 ? '' : ` (${whole(load.errors)} errors)`;
  // Latencies are those of answered requests; with none answered in the window there are none.
  if (load.requests === 0) return `none answered in ${SECONDS} s${errors}`;
  const rate = load.requestsPerSecond >= 10 ? whole(load.requestsPerSecond) : load.requestsPerSecond.toFixed(1);
  return `${rate}${errors} · ${load.p50Ms.toFixed(2)} · ${load.p99Ms.toFixed(2)}`;
}

export function scaleMarkdown(results: ScaleResult[]): string {
  const backendName = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;
  return [
    `Keys seeded through the store layer (PostgreSQL: bulk insert of the repository's rows, then VACUUM ANALYZE); ` +
      `service with ${WORKERS} workers; wrk, 1 thread, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per row after ` +
      `a ${WARMUP_SECONDS} s warm-up. Load cells: req/s · p50 ms · p99 ms. Start-up: spawn to "listening", and the ` +
      'resident memory of the service\'s processes then.',
    '',
    '| Backend | Keys | Seeding keys/s | Start-up | GET key, random of all | GET key, one hot key | List page of 25, random start |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...results.map((result) =>
      `| ${backendName[result.backend]} | ${whole(result.keys)} | ${whole(result.seeding.keysPerSecond)} (${result.seeding.method}) | ` +
      `${result.startupSeconds.toFixed(2)} s, ${whole(result.startupRssMiB)} MiB | ${formatLoad(result.getKeyRandom)} | ` +
      `${formatLoad(result.getKeyHot)} | ${formatLoad(result.listPage)} |`),
    '',
  ].join('\n');
}

function listFromEnv<T extends string | number>(name: string, parse: (item: string) => T): T[] | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((item) => parse(item.trim().replace(/_/g, '')));
}

if (import.meta.main) {
  const started = performance.now();
  const sizes = listFromEnv('BENCH_SCALE_SIZES', Number);
  const backends = listFromEnv('BENCH_SCALE_BACKENDS', (item) => {
    if (item !== 'sqlite' && item !== 'postgres') throw new Error(`BENCH_SCALE_BACKENDS: ${item} is neither sqlite nor postgres`);
    return item as ScaleBackend;
  });
  const results = await runScaleBench({ sizes, backends });
  process.stdout.write(`\n${scaleMarkdown(results)}\n`);
  process.stderr.write(`Scale benchmark: ${((performance.now() - started) / 60_000).toFixed(1)} min in all.\n`);
  if (results.some((result) => [result.getKeyRandom, result.getKeyHot, result.listPage].some((load) => load.errors > 0))) {
    process.stderr.write('Some requests failed (see the errors in the table): those numbers are not valid.\n');
    process.exitCode = 1;
  }
}
