/**
 * Issue 7 (keep it checked): no acknowledged write is lost when the service dies. A few cycles of: start the
 * service (`--workers 2`) on the same data directory, stream key creations and updates at it from several
 * clients, `kill -9` the primary and both workers in the middle of the stream, start again. Guards: after
 * every restart the service starts on the data directory it left, every write that was answered 200 is there
 * (the created key with the version it was answered with; an update's tags, or a later update's that was sent
 * but not answered before the kill), and the store is readable.
 *
 * The service is started here rather than by the harness, which does not hand out the process ids.
 * Environment: STRONGROOM_CRASH_CYCLES (default 3, 10 to 17 s on 2 cores; each cycle is a start of the
 * primary and two workers, about 3 s).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { loopbackLookup, projectRoot, type AdminCredentials, type TestServer } from '../../harness/server-process.ts';

const CYCLES = Number(process.env['STRONGROOM_CRASH_CYCLES'] ?? 3);
const WRITERS = 4;

const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-crash-'));

interface Running extends TestServer {
  child: ChildProcess;
}

async function start(): Promise<Running> {
  const child = spawn(process.execPath, [join(projectRoot, 'src', 'main.ts'), 'serve', '--port', '0', '--data-dir', dataDir, '--workers', '2', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on https:\/\/[^\s:]+:(\d+)\n/.exec(stdout);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    });
    child.once('exit', (code, signal) => reject(new Error(`the service exited (${signal ?? code}) before listening:\n${stderr}`)));
  });
  const ca = readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8');
  const credentials = JSON.parse(readFileSync(join(dataDir, 'admin-credentials.json'), 'utf8')) as AdminCredentials;
  const agent = new https.Agent({ ca, keepAlive: true, lookup: loopbackLookup });
  return {
    port, dataDir, ca, credentials, agent, child,
    url: (host = 'localhost') => `https://${host}:${port}`,
    stop: async () => { agent.destroy(); await killAll(child); },
  };
}

/** The process ids of a process's children (the cluster workers of the primary). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((candidate) => {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${candidate}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

/** kill -9 of the primary and its workers at once, then waits until the primary is gone. */
async function killAll(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (const pid of [child.pid, ...childrenOf(child.pid)]) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  await exited;
}

interface Ledger {
  /** Created keys answered 200, with the version (kid) they were answered with. */
  created: Map<string, string>;
  /** Per key: the last update sequence number answered 200, and the last one sent. */
  acknowledged: Map<string, number>;
  sent: Map<string, number>;
}

/** One client writing until the service dies: creates a key, then updates its tags with a rising sequence. */
async function writer(server: Running, token: string, cycle: number, id: number, ledger: Ledger, stop: () => boolean): Promise<void> {
  const api = apiClient(server, token);
  for (let n = 0; !stop(); n++) {
    const name = `c${cycle}-w${id}-k${Math.floor(n / 4)}`;
    try {
      if (n % 4 === 0) {
        const created = await api.post(`/keys/${name}/create`, { kty: 'EC', crv: 'P-256', tags: { seq: '0' } });
        if (created.status !== 200) throw new Error(`create answered ${created.status}: ${created.text}`);
        ledger.created.set(name, created.json.key.kid as string);
        ledger.acknowledged.set(name, 0);
        ledger.sent.set(name, 0);
      } else {
        ledger.sent.set(name, n % 4);
        const updated = await api.patch(`/keys/${name}`, { tags: { seq: String(n % 4) } });
        if (updated.status !== 200) throw new Error(`update answered ${updated.status}: ${updated.text}`);
        ledger.acknowledged.set(name, n % 4);
      }
    } catch (error) {
      // The service was killed: requests in flight have no answer, and that is all right.
      if (stop()) return;
      throw error;
    }
  }
}

async function verify(server: Running, token: string, ledger: Ledger): Promise<void> {
  const api = apiClient(server, token);
  assert.equal((await api.get('/keys')).status, 200, 'the store is not readable');
  for (const [name, kid] of ledger.created) {
    const key = await api.get(`/keys/${name}`);
    assert.equal(key.status, 200, `${name} was created (answered 200) but is gone: ${key.text}`);
    const versions = await api.get(`/keys/${name}/versions`);
    const kids = (versions.json.value as Array<{ kid: string }>).map((version) => new URL(version.kid).pathname);
    assert.ok(kids.includes(new URL(kid).pathname), `${name}: the version answered at creation is missing`);
    const seq = Number(key.json.tags.seq);
    const acknowledged = ledger.acknowledged.get(name) ?? 0;
    const sent = ledger.sent.get(name) ?? 0;
    assert.ok(seq >= acknowledged && seq <= sent, `${name}: tags.seq is ${seq}; updates up to ${acknowledged} were answered, up to ${sent} sent`);
  }
}

after(() => { rmSync(dataDir, { recursive: true, force: true }); });

test(`${CYCLES} kill -9 cycles of the primary and its 2 workers during acknowledged writes lose no write`, async () => {
  const ledger: Ledger = { created: new Map(), acknowledged: new Map(), sent: new Map() };
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const server = await start();
    try {
      const token = await accessToken(server);
      await verify(server, token, ledger);
      let killed = false;
      const writers = Array.from({ length: WRITERS }, (_, id) => writer(server, token, cycle, id, ledger, () => killed));
      // Long enough for a few dozen writes, different each cycle so the kill lands in different places.
      await new Promise((resolve) => setTimeout(resolve, 400 + 250 * cycle));
      killed = true;
      await killAll(server.child);
      await Promise.all(writers);
    } finally {
      await server.stop();
    }
  }
  assert.ok(ledger.created.size >= CYCLES * WRITERS, `only ${ledger.created.size} keys were created: the stream was too short to mean anything`);
  const server = await start();
  try {
    await verify(server, await accessToken(server), ledger);
  } finally {
    await server.stop();
  }
});
