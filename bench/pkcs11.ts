/**
 * Signatures per second through the PKCS#11 module (clients/pkcs11), RSA-2048 PS256 and ES256, from 1 and N
 * threads, beside the same signature over REST in the same run (keep-alive HTTPS, 1 and N requests in flight).
 *
 * How to call it (from bench/run.ts, with a server the bench already started):
 *   import { runPkcs11Bench } from './pkcs11.ts';
 *   const rows = await runPkcs11Bench({ server, seconds: 5, threads: availableParallelism() });
 * Each row: { operation, path: 'pkcs11' | 'rest', threads, ops, seconds, opsPerSecond, errors }.
 * The module is built if missing (bash clients/pkcs11/build.sh: needs libssl-dev). The module's threads are
 * worker_threads in this process, each with its own session, calling C_Sign synchronously (pkcs11js).
 * Run alone: `node bench/pkcs11.ts` (starts its own server; BENCH_SECONDS, BENCH_THREADS).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pkcs11js from 'pkcs11js';
import { startServer, type TestServer } from '../harness/server-process.ts';
import { ensureModuleBuilt } from '../test/pkcs11/helpers/fixture.ts';

export interface Pkcs11BenchRow {
  operation: 'RSA-2048 PS256 sign' | 'ES256 sign';
  path: 'pkcs11' | 'rest';
  threads: number;
  ops: number;
  seconds: number;
  opsPerSecond: number;
  errors: number;
}

export interface Pkcs11BenchOptions {
  server: TestServer;
  seconds?: number;
  /** The N of "1 and N threads"; default: available parallelism. */
  threads?: number;
}

interface WorkerJob { library: string; config: string; label: string; mechanism: number; seconds: number; start: number }
interface WorkerResult { ops: number; errors: number; elapsed: number }

const OPERATIONS = [
  { operation: 'RSA-2048 PS256 sign' as const, label: 'bench-p11-rsa', kty: 'RSA', alg: 'PS256', mechanism: pkcs11js.CKM_RSA_PKCS_PSS },
  { operation: 'ES256 sign' as const, label: 'bench-p11-ec', kty: 'EC', alg: 'ES256', mechanism: pkcs11js.CKM_ECDSA },
];

const digest = createHash('sha256').update('strongroom pkcs11 bench').digest();

/** Worker side: one session, C_SignInit + C_Sign in a loop until the deadline. */
function workerMain(job: WorkerJob): void {
  const p = new pkcs11js.PKCS11();
  p.load(job.library);
  try { p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK }); } catch { /* another worker initialised it */ }
  const session = p.C_OpenSession(p.C_GetSlotList(true)[0]!, pkcs11js.CKF_SERIAL_SESSION);
  p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: job.label }]);
  const key = p.C_FindObjects(session, 1)[0];
  p.C_FindObjectsFinal(session);
  if (key === undefined) throw new Error(`no key ${job.label}`);
  const mechanism = job.mechanism === pkcs11js.CKM_RSA_PKCS_PSS
    ? { mechanism: job.mechanism, parameter: { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, saltLen: 32 } }
    : { mechanism: job.mechanism };
  const out = Buffer.alloc(512);
  while (Date.now() < job.start) { /* start together */ }
  const deadline = job.start + job.seconds * 1000;
  let ops = 0;
  let errors = 0;
  while (Date.now() < deadline) {
    try {
      p.C_SignInit(session, mechanism, key);
      p.C_Sign(session, digest, out);
      ops++;
    } catch {
      errors++;
    }
  }
  p.C_CloseSession(session);
  parentPort?.postMessage({ ops, errors, elapsed: Date.now() - job.start } satisfies WorkerResult);
}

async function throughModule(library: string, config: string, label: string, mechanism: number, threads: number, seconds: number): Promise<WorkerResult> {
  const start = Date.now() + 300;
  const results = await Promise.all(Array.from({ length: threads }, () => new Promise<WorkerResult>((resolve, reject) => {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { library, config, label, mechanism, seconds, start } satisfies WorkerJob });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  return results.reduce((a, r) => ({ ops: a.ops + r.ops, errors: a.errors + r.errors, elapsed: Math.max(a.elapsed, r.elapsed) }), { ops: 0, errors: 0, elapsed: 0 });
}

function request(server: TestServer, token: string, method: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${server.url()}${path}`, {
      method, agent: server.agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function token(server: TestServer): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: server.credentials.clientId,
    client_secret: server.credentials.clientSecret, scope: 'https://localhost/.default' }).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(`${server.url()}/${server.credentials.tenantId}/oauth2/v2.0/token`, {
      method: 'POST', agent: server.agent, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve((JSON.parse(text) as { access_token: string }).access_token));
    });
    req.on('error', reject);
    req.end(form);
  });
}

async function overRest(server: TestServer, bearer: string, name: string, alg: string, inFlight: number, seconds: number): Promise<WorkerResult> {
  const deadline = Date.now() + seconds * 1000;
  const start = Date.now();
  let ops = 0;
  let errors = 0;
  const value = digest.toString('base64url');
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (Date.now() < deadline) {
      const r = await request(server, bearer, 'POST', `/keys/${name}/sign?api-version=7.5`, { alg, value });
      if (r.status === 200) ops++;
      else errors++;
    }
  }));
  return { ops, errors, elapsed: Date.now() - start };
}

export async function runPkcs11Bench(options: Pkcs11BenchOptions): Promise<Pkcs11BenchRow[]> {
  const seconds = options.seconds ?? 5;
  const n = options.threads ?? availableParallelism();
  const { server } = options;
  const library = ensureModuleBuilt();
  const bearer = await token(server);
  for (const op of OPERATIONS) {
    const body = op.kty === 'RSA' ? { kty: 'RSA', key_size: 2048 } : { kty: 'EC', crv: 'P-256' };
    const r = await request(server, bearer, 'POST', `/keys/${op.label}/create?api-version=7.5`, body);
    if (r.status !== 200) throw new Error(`create ${op.label}: ${r.status} ${r.text}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-p11-bench-'));
  const ca = join(dir, 'ca.pem');
  const creds = join(dir, 'admin-credentials.json');
  const config = join(dir, 'pkcs11.json');
  writeFileSync(ca, server.ca);
  writeFileSync(creds, JSON.stringify(server.credentials), { mode: 0o600 });
  writeFileSync(config, JSON.stringify({ url: server.url(), ca_file: ca, credentials_file: creds, key_filter: 'bench-p11-' }));
  // The module reads the variable with getenv(): only the main thread's process.env reaches the C environment.
  const previous = process.env['STRONGROOM_PKCS11_CONFIG'];
  process.env['STRONGROOM_PKCS11_CONFIG'] = config;
  const rows: Pkcs11BenchRow[] = [];
  const row = (operation: Pkcs11BenchRow['operation'], path: Pkcs11BenchRow['path'], threads: number, r: WorkerResult): Pkcs11BenchRow => ({
    operation, path, threads, ops: r.ops, seconds: r.elapsed / 1000, opsPerSecond: Math.round(r.ops / (r.elapsed / 1000)), errors: r.errors,
  });
  try {
    for (const op of OPERATIONS) {
      for (const threads of [...new Set([1, n])]) {
        rows.push(row(op.operation, 'pkcs11', threads, await throughModule(library, config, op.label, op.mechanism, threads, seconds)));
        rows.push(row(op.operation, 'rest', threads, await overRest(server, bearer, op.label, op.alg, threads, seconds)));
      }
    }
  } finally {
    if (previous === undefined) delete process.env['STRONGROOM_PKCS11_CONFIG'];
    else process.env['STRONGROOM_PKCS11_CONFIG'] = previous;
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (!isMainThread) {
  workerMain(workerData as WorkerJob);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startServer({ store: 'sqlite', workers: availableParallelism() });
  try {
    const rows = await runPkcs11Bench({ server, seconds: Number(process.env['BENCH_SECONDS'] ?? 5), threads: Number(process.env['BENCH_THREADS'] ?? availableParallelism()) });
    console.table(rows);
  } finally {
    await server.stop();
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}
