/**
 * `npm run bench`: throughput and latency of the service as users run it, against the raw crypto ceiling of
 * the same machine, measured in the same run.
 *
 * The service is started as `npm start` starts it (HTTPS, bearer auth, one worker per core) and loaded by wrk
 * from a separate process over keep-alive connections. For each operation: a warm-up, a measured run (req/s,
 * p50, p99; any non-2xx answer is counted as an error), then the raw ceiling (the same operation with Node's
 * crypto on all cores, no HTTP). A do-nothing Node HTTPS server, loaded the same way, gives the machine's
 * HTTPS floor. Results go to bench/results/latest.{json,md}.
 *
 * Last, the overload row (bench/overload.ts): far more connections than the service can serve, sending RSA-4096
 * signatures for a short window; it counts what was served (200) and shed (503), the latency of the answers and
 * the peak memory of the service's processes.
 *
 * On the SQLite run, ES256 sign and get key again on a server with `--audit-log off`: what the audit log costs.
 * On the SQLite run, the PKCS#11 row (bench/pkcs11.ts): signatures per second through the PKCS#11 module, 1 and
 * N threads, beside the same signature over REST (it needs the module built: gcc and libssl-dev).
 *
 * The operations run on each store: the embedded SQLite file, then PostgreSQL (a throw-away server,
 * harness/postgres.ts). The raw ceiling is measured once per operation. Then the scale run (bench/scale.ts):
 * get-key and list-page latency, and start-up time, with 1 k, 100 k and 1 M keys seeded in each store.
 *
 * Environment: BENCH_SECONDS (measured seconds per operation, default 10), BENCH_CONNECTIONS (default 32),
 * BENCH_ONLY (a substring: run only matching operations; "overload" for the overload row alone),
 * BENCH_STORE (sqlite, postgres, or both: the default), BENCH_SCALE (0 skips the scale run; BENCH_SCALE_SIZES
 * sets its sizes), BENCH_OVERLOAD_CONNECTIONS (default 1000), BENCH_OVERLOAD_SECONDS (default 5).
 */
import { spawn } from 'node:child_process';
import { constants, createHash, publicEncrypt, randomBytes, createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { accessToken, apiClient } from '../harness/https-requests.ts';
import { startPostgres } from '../harness/postgres.ts';
import { disposeServer, projectRoot, startServer, type TestServer } from '../harness/server-process.ts';
import { createCertificateAuthority, issueServerCertificate } from '../src/tls/certificates.ts';
import { measureCeiling, type CeilingOperation } from './ceiling.ts';
import { runOverload, type OverloadResult } from './overload.ts';
import { runPkcs11Bench, type Pkcs11BenchRow } from './pkcs11.ts';
import { runScaleBench, scaleMarkdown, type ScaleResult } from './scale.ts';
import { ensureWrk, runLoad, type LoadRequest, type LoadResult } from './wrk.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const ONLY = process.env['BENCH_ONLY'];
const WARMUP_SECONDS = 2;
const CEILING_SECONDS = 3;
const WORKERS = availableParallelism();
const OVERLOAD_CONNECTIONS = Number(process.env['BENCH_OVERLOAD_CONNECTIONS'] ?? 1000);
const OVERLOAD_SECONDS = Number(process.env['BENCH_OVERLOAD_SECONDS'] ?? 5);
const OVERLOAD_OPERATION = 'overload: RS256 sign';
const STORES = (process.env['BENCH_STORE'] ?? 'both') === 'both' ? (['sqlite', 'postgres'] as const) : ([process.env['BENCH_STORE']] as const);
const SCALE = process.env['BENCH_SCALE'] !== '0' && ONLY === undefined;
type StoreName = 'sqlite' | 'postgres' | 'sqlite, audit off';

interface Scenario {
  operation: string;
  key: string;
  request: (api: BenchApi) => Promise<Omit<LoadRequest, 'token' | 'url'> & { path: string }>;
  ceiling?: CeilingOperation;
}

interface Row extends LoadResult {
  operation: string;
  key: string;
  store?: StoreName | undefined;
  ceilingOpsPerSecond?: number | undefined;
  ratio?: number | undefined;
}

type BenchApi = ReturnType<typeof apiClient>;

const digest256 = createHash('sha256').update('strongroom bench').digest();
const digests = { 256: digest256, 384: createHash('sha384').update('x').digest(), 512: createHash('sha512').update('x').digest() };
const b64 = (bytes: Buffer) => bytes.toString('base64url');

const KEYS: Record<string, object> = {
  'rsa-2048': { kty: 'RSA-HSM', key_size: 2048 },
  'rsa-3072': { kty: 'RSA-HSM', key_size: 3072 },
  'rsa-4096': { kty: 'RSA-HSM', key_size: 4096 },
  'ec-p256': { kty: 'EC-HSM', crv: 'P-256' },
  'ec-p256k': { kty: 'EC-HSM', crv: 'P-256K' },
  'ec-p384': { kty: 'EC-HSM', crv: 'P-384' },
  'ec-p521': { kty: 'EC-HSM', crv: 'P-521' },
  'aes-256': { kty: 'oct-HSM', key_size: 256, key_ops: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] },
  'hmac-256': { kty: 'oct-HSM', key_size: 256, key_ops: ['sign', 'verify'] },
};

const EC = [
  ['ES256', 'ec-p256', 'P-256', 'prime256v1', 256],
  ['ES256K', 'ec-p256k', 'P-256K', 'secp256k1', 256],
  ['ES384', 'ec-p384', 'P-384', 'secp384r1', 384],
  ['ES512', 'ec-p521', 'P-521', 'secp521r1', 512],
] as const;

const SCENARIOS: Scenario[] = [
  ...[2048, 3072, 4096].flatMap((bits): Scenario[] => [
    {
      operation: 'RS256 sign', key: `RSA-${bits}`,
      request: async () => ({ method: 'POST', path: `/keys/rsa-${bits}/sign`, body: { alg: 'RS256', value: b64(digest256) } }),
      ceiling: { kind: 'rsa-sign', bits, padding: 'pkcs1' },
    },
    {
      operation: 'PS256 sign', key: `RSA-${bits}`,
      request: async () => ({ method: 'POST', path: `/keys/rsa-${bits}/sign`, body: { alg: 'PS256', value: b64(digest256) } }),
      ceiling: { kind: 'rsa-sign', bits, padding: 'pss' },
    },
  ]),
  {
    operation: 'RSA-OAEP-256 decrypt', key: 'RSA-2048',
    request: async (api) => {
      const key = (await api.get('/keys/rsa-2048')).json.key as { n: string; e: string };
      const publicKey = createPublicKey({ key: { kty: 'RSA', n: key.n, e: key.e }, format: 'jwk' });
      const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(32));
      return { method: 'POST', path: '/keys/rsa-2048/decrypt', body: { alg: 'RSA-OAEP-256', value: b64(ciphertext) } };
    },
    ceiling: { kind: 'rsa-oaep256-decrypt', bits: 2048 },
  },
  ...EC.flatMap(([alg, key, curve, openssl, bits]): Scenario[] => [
    {
      operation: `${alg} sign`, key: `EC ${curve}`,
      request: async () => ({ method: 'POST', path: `/keys/${key}/sign`, body: { alg, value: b64(digests[bits]) } }),
      ceiling: { kind: 'ecdsa-sign', curve: openssl, hash: `sha${bits}` },
    },
    {
      operation: `${alg} verify`, key: `EC ${curve}`,
      request: async (api) => {
        const signature = (await api.post(`/keys/${key}/sign`, { alg, value: b64(digests[bits]) })).json.value as string;
        return { method: 'POST', path: `/keys/${key}/verify`, body: { alg, digest: b64(digests[bits]), value: signature } };
      },
      ceiling: { kind: 'ecdsa-verify', curve: openssl, hash: `sha${bits}` },
    },
  ]),
  ...[32, 4096].map((bytes): Scenario => ({
    operation: `A256GCM encrypt ${bytes === 32 ? '32 B' : '4 KiB'}`, key: 'AES-256',
    request: async () => ({ method: 'POST', path: '/keys/aes-256/encrypt', body: { alg: 'A256GCM', value: b64(randomBytes(bytes)) } }),
    ceiling: { kind: 'aes-gcm-encrypt', bytes },
  })),
  {
    operation: 'A256KW wrap (32 B key)', key: 'AES-256',
    request: async () => ({ method: 'POST', path: '/keys/aes-256/wrapkey', body: { alg: 'A256KW', value: b64(randomBytes(32)) } }),
    ceiling: { kind: 'aes-kw-wrap' },
  },
  {
    operation: 'HS256 sign', key: 'HMAC-256',
    request: async () => ({ method: 'POST', path: '/keys/hmac-256/sign', body: { alg: 'HS256', value: b64(digest256) } }),
    ceiling: { kind: 'hmac-sha256' },
  },
  {
    operation: 'get key', key: 'EC P-256',
    request: async () => ({ method: 'GET', path: '/keys/ec-p256' }),
  },
];

async function main(): Promise<void> {
  ensureWrk();
  const selected = SCENARIOS.filter((s) => ONLY === undefined || `${s.operation} ${s.key}`.includes(ONLY));
  const rows: Row[] = [];
  const ceilings = new Map<string, number>();
  let overload: OverloadResult | undefined;
  let pkcs11: Pkcs11BenchRow[] | string | undefined;
  let token = '';
  for (const store of STORES) {
    if (store !== 'sqlite' && store !== 'postgres') throw new Error(`BENCH_STORE must be sqlite, postgres or both, not ${store}`);
    const postgres = store === 'postgres' ? await startPostgres() : undefined;
    const server = await startServer({
      workers: WORKERS,
      store: postgres === undefined ? 'sqlite' : { postgres: (await postgres.createDatabase()).url },
    });
    try {
      token = await accessToken(server);
      const api = apiClient(server, token);
      for (const [name, body] of Object.entries(KEYS)) {
        const created = await api.post(`/keys/${name}/create`, body);
        if (created.status !== 200) throw new Error(`creating ${name} failed: ${created.text}`);
      }
      for (const scenario of selected) rows.push(await runScenario(server, api, token, scenario, store, ceilings));
      const overloadWanted = ONLY === undefined || `${OVERLOAD_OPERATION} RSA-4096`.includes(ONLY);
      if (overloadWanted && store === 'sqlite') overload = await runOverloadRow(server, token);
      if (store === 'sqlite') rows.push(...(await runWithoutAudit(selected, ceilings)));
      if ((ONLY === undefined || 'pkcs11'.includes(ONLY)) && store === 'sqlite') {
        process.stderr.write('PKCS#11 module: RSA-2048 PS256 and ES256 signatures, 1 and N threads, beside REST\n');
        pkcs11 = await runPkcs11Bench({ server, seconds: SECONDS, threads: WORKERS }).catch((error: unknown) => `not measured: ${(error as Error).message}`);
      }
    } finally {
      await disposeServer(server);
      await postgres?.close();
    }
  }
  if (selected.length > 0) rows.push(await runFloor(token));
  const scale = SCALE ? await runScaleBench({ log: (line) => process.stderr.write(`${line}\n`) }) : undefined;
  report(rows, overload, scale, pkcs11);
}

async function runOverloadRow(server: TestServer, token: string): Promise<OverloadResult> {
  const load: LoadRequest = {
    method: 'POST', token, url: `${server.url()}/keys/rsa-4096/sign?api-version=7.6`, body: { alg: 'RS256', value: b64(digest256) },
  };
  const result = await runOverload(server, load, { seconds: OVERLOAD_SECONDS, connections: OVERLOAD_CONNECTIONS, probeConnections: 4, settleSeconds: 5 });
  process.stderr.write(`${formatOverload(result)}\n`);
  return result;
}

async function runScenario(
  server: TestServer,
  api: BenchApi,
  token: string,
  scenario: Scenario,
  store: StoreName,
  ceilings: Map<string, number>,
): Promise<Row> {
  const { path, ...request } = await scenario.request(api);
  const load: LoadRequest = { ...request, token, url: `${server.url()}${path}?api-version=7.6` };
  const probe = await (request.method === 'GET' ? api.get(path) : api.post(path, request.body));
  if (probe.status !== 200) throw new Error(`${scenario.operation}: the probe request failed: ${probe.text}`);
  runLoad(load, { seconds: WARMUP_SECONDS, connections: CONNECTIONS });
  const result = runLoad(load, { seconds: SECONDS, connections: CONNECTIONS });
  const ceilingKey = `${scenario.operation} ${scenario.key}`;
  let ceiling = ceilings.get(ceilingKey);
  if (ceiling === undefined && scenario.ceiling !== undefined) {
    ceiling = await measureCeiling(scenario.ceiling, CEILING_SECONDS);
    ceilings.set(ceilingKey, ceiling);
  }
  const row: Row = {
    operation: scenario.operation,
    key: scenario.key,
    store,
    ...result,
    ceilingOpsPerSecond: ceiling,
    ratio: ceiling === undefined ? undefined : result.requestsPerSecond / ceiling,
  };
  process.stderr.write(`${formatRow(row)}\n`);
  return row;
}

/** The same load against a do-nothing HTTPS server with as many workers: the machine's HTTPS floor. */
async function runFloor(token: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-floor-'));
  const tls = await issueServerCertificate(await createCertificateAuthority(), ['localhost', '127.0.0.1']);
  writeFileSync(join(dir, 'cert.pem'), tls.certificatePem);
  writeFileSync(join(dir, 'key.pem'), tls.privateKeyPem);
  const child = spawn(process.execPath, [join(projectRoot, 'bench', 'bare-https.ts'), join(dir, 'cert.pem'), join(dir, 'key.pem'), String(WORKERS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const match = /listening (\d+)/.exec(chunk.toString());
        if (match?.[1] !== undefined) resolve(Number(match[1]));
      });
      child.once('exit', () => reject(new Error('the floor server exited')));
    });
    const load: LoadRequest = { method: 'POST', token, url: `https://127.0.0.1:${port}/keys/floor/sign`, body: { alg: 'ES256', value: b64(digest256) } };
    runLoad(load, { seconds: WARMUP_SECONDS, connections: CONNECTIONS });
    const row: Row = { operation: 'HTTPS floor: empty Node server', key: '—', ...runLoad(load, { seconds: SECONDS, connections: CONNECTIONS }) };
    process.stderr.write(`${formatRow(row)}\n`);
    return row;
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

function machine() {
  const cmdline = (() => { try { return readFileSync('/proc/cmdline', 'utf8'); } catch { return ''; } })();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    virtualization: cmdline.includes('firecracker') ? 'Firecracker microVM' : undefined,
    node: process.version,
    openssl: process.versions.openssl,
  };
}

/**
 * A row of the table. With the floor known (the report), two more cells: the row's share of the HTTPS floor, and
 * the best share possible, `C / (F + C)`: a server whose request cost exactly one empty HTTPS request (1/F of the
 * machine) plus one raw operation (1/C) would answer F·C / (F + C) req/s. 100% where there is no operation.
 */
function formatRow(row: Row, floor?: number): string {
  const ceiling = row.ceilingOpsPerSecond === undefined ? '—' : Math.round(row.ceilingOpsPerSecond).toLocaleString('en-US');
  const ratio = row.ratio === undefined ? '—' : percent(row.ratio);
  const errors = row.errors === 0 ? '' : ` (${row.errors} errors)`;
  const cells = [
    row.operation, row.key, row.store ?? '—', `${Math.round(row.requestsPerSecond).toLocaleString('en-US')}${errors}`,
    row.p50Ms.toFixed(2), row.p99Ms.toFixed(2), ceiling, ratio,
  ];
  if (floor !== undefined) {
    const isFloor = row.operation.startsWith('HTTPS floor');
    const best = row.ceilingOpsPerSecond === undefined ? 1 : row.ceilingOpsPerSecond / (floor + row.ceilingOpsPerSecond);
    cells.push(isFloor ? '100%' : percent(row.requestsPerSecond / floor), isFloor ? '—' : percent(best));
  }
  return `| ${cells.join(' | ')} |`;
}

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;

const OVERLOAD_HEADER = [
  '| Operation | Key | connections | served (200) | shed (503) | other | p50 ms | p99 ms | probe 200: n, p50, p99 ms | RSS MiB before → peak (largest process) → 5 s after |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
];

function formatOverload(result: OverloadResult): string {
  const others = Object.entries(result.otherStatuses).map(([status, count]) => `${count}×${status}`);
  if (result.socketErrors > 0) others.push(`${result.socketErrors} socket errors`);
  if (result.timeouts > 0) others.push(`${result.timeouts} timeouts`);
  const mib = (value: number) => Math.round(value).toLocaleString('en-US');
  return `| ${OVERLOAD_OPERATION} | RSA-4096 | ${result.connections.toLocaleString('en-US')} | ${result.ok.toLocaleString('en-US')} | ` +
    `${result.shed.toLocaleString('en-US')} | ${others.length === 0 ? '0' : others.join(', ')} | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)} | ` +
    `${result.probeServed}, ${result.probeP50Ms.toFixed(1)}, ${result.probeP99Ms.toFixed(1)} | ` +
    `${mib(result.rssBeforeMiB)} → ${mib(result.rssPeakMiB)} (${mib(result.rssPeakWorkerMiB)}) → ${mib(result.rssAfterMiB)} |`;
}

function report(rows: Row[], overload: OverloadResult | undefined, scale: ScaleResult[] | undefined, pkcs11: Pkcs11BenchRow[] | string | undefined): void {
  const about = machine();
  const when = new Date().toISOString();
  const floor = rows.find((row) => row.operation.startsWith('HTTPS floor'))?.requestsPerSecond;
  const markdown = [
    `Measured ${when.slice(0, 10)} by \`npm run bench\` on ${about.cpu}, ${about.cores} cores, ${about.memoryGiB} GiB` +
      `${about.virtualization === undefined ? '' : ` (${about.virtualization})`}, Linux ${about.kernel}, Node ${about.node}, OpenSSL ${about.openssl}.`,
    `Service: ${WORKERS} workers, HTTPS with bearer auth. Load: wrk, 1 thread, ${CONNECTIONS} keep-alive connections, ` +
      `${SECONDS} s per operation after a ${WARMUP_SECONDS} s warm-up, on the same cores as the service. ` +
      `Raw ceiling: the same operation with Node's crypto on all ${about.cores} cores, no HTTP.`,
    '',
    `| Operation | Key | Store | req/s | p50 ms | p99 ms | raw ceiling ops/s | req/s ÷ ceiling |${floor === undefined ? '' : ' req/s ÷ HTTPS floor | best possible ÷ floor |'}`,
    `|---|---|---|---:|---:|---:|---:|---:|${floor === undefined ? '' : '---:|---:|'}`,
    ...rows.map((row) => formatRow(row, floor)),
    ...(floor === undefined ? [] : [
      '',
      'Best possible ÷ floor: C / (F + C) for raw ceiling C and floor F, the share of the floor a server would reach if a request ' +
        'cost exactly one empty HTTPS request plus one raw operation on the same cores.',
    ]),
    '',
    ...(overload === undefined ? [] : [
      `Overload: wrk, 1 thread, ${overload.connections.toLocaleString('en-US')} keep-alive connections for ${overload.seconds} s, each sending the next ` +
        'request as soon as it has an answer (no backoff); p50/p99 over every answered request (200 and 503). The probe: ' +
        '4 more connections, one request at a time, timing the served ones. RSS: the service\'s processes, sampled every 100 ms.',
      '',
      ...OVERLOAD_HEADER,
      formatOverload(overload),
      '',
    ]),
    ...(scale === undefined ? [] : [scaleMarkdown(scale), '']),
    ...(pkcs11 === undefined ? [] : pkcs11Markdown(pkcs11)),
  ].join('\n');
  const directory = join(projectRoot, 'bench', 'results');
  mkdirSync(directory, { recursive: true });
  const json = JSON.stringify({ measured: when, machine: about, workers: WORKERS, connections: CONNECTIONS, seconds: SECONDS, rows, overload, scale, pkcs11 }, null, 2);
  // Only the latest run is kept; git history keeps the earlier ones.
  writeFileSync(join(directory, 'latest.md'), markdown);
  writeFileSync(join(directory, 'latest.json'), `${json}\n`);
  process.stdout.write(`\n${markdown}\nSaved to bench/results/latest.md and latest.json.\n`);
  if (rows.some((row) => row.errors > 0)) {
    process.stderr.write('Some requests failed (see the errors column): the numbers above are not valid.\n');
    process.exitCode = 1;
  }
  if (overload !== undefined && Object.keys(overload.otherStatuses).some((status) => Number(status) >= 500)) {
    process.stderr.write('The overload run was answered with 5xx other than 503: the service failed under load.\n');
    process.exitCode = 1;
  }
}

await main();

/** The PKCS#11 table: each signature through the module beside the same over REST, at 1 and N threads. */
function pkcs11Markdown(pkcs11: Pkcs11BenchRow[] | string): string[] {
  if (typeof pkcs11 === 'string') return [`PKCS#11 module: ${pkcs11}`, ''];
  return [
    'PKCS#11: signatures through the module (worker threads in one process, each its own session, C_Sign) beside the same ' +
      'signature over REST (keep-alive HTTPS, as many requests in flight as threads), same server, same run.',
    '',
    '| Operation | Path | Threads | signs/s | errors |',
    '|---|---|---:|---:|---:|',
    ...pkcs11.map((row) => `| ${row.operation} | ${row.path} | ${row.threads} | ${Math.round(row.opsPerSecond).toLocaleString('en-US')} | ${row.errors} |`),
    '',
  ];
}

/** ES256 sign and get key on a server that records no audit log, beside the same rows with it (the cost of audit). */
async function runWithoutAudit(selected: Scenario[], ceilings: Map<string, number>): Promise<Row[]> {
  const scenarios = selected.filter((s) => (s.operation === 'ES256 sign' || s.operation === 'get key') && s.key === 'EC P-256');
  if (scenarios.length === 0) return [];
  const server = await startServer({ workers: WORKERS, store: 'sqlite', args: ['--audit-log', 'off'] });
  try {
    const token = await accessToken(server);
    const api = apiClient(server, token);
    const created = await api.post('/keys/ec-p256/create', KEYS['ec-p256']);
    if (created.status !== 200) throw new Error(`creating ec-p256 failed: ${created.text}`);
    const rows: Row[] = [];
    for (const scenario of scenarios) rows.push(await runScenario(server, api, token, scenario, 'sqlite, audit off', ceilings));
    return rows;
  } finally {
    await disposeServer(server);
  }
}
