/**
 * The overload row of `npm run bench`: what the service does when far more work arrives than it can do.
 *
 * wrk opens many keep-alive connections (default 1,000) and sends RSA-4096 signatures as fast as each
 * connection gets answers, for a short window. A well-behaved service answers part of them (200) and sheds the
 * rest at once (503 with Retry-After) instead of queueing everything, so that what it does answer keeps a
 * bounded latency and its memory stays bounded. Measured:
 *   - statuses: 200, 503, anything else, and socket errors/timeouts (wrk's counters);
 *   - latency of every answered request (wrk's histogram, 200 and 503 alike), and, from a probe client
 *     sending one request at a time on a few connections of its own, the latency of the requests served (200);
 *   - resident memory of the service's processes (primary and workers, found in /proc by their data
 *     directory), sampled every 100 ms: before, the peak during the run, and a few seconds after.
 * Linux only for the memory columns (elsewhere they read 0).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackLookup, type TestServer } from '../harness/server-process.ts';
import { luaQuote, type LoadRequest } from './wrk.ts';

export interface OverloadOptions {
  seconds: number;
  connections: number;
  /** Connections of the probe client (one request at a time each). */
  probeConnections: number;
  /** How long after the run memory is sampled again, to see whether it is returned. */
  settleSeconds: number;
}

export interface OverloadResult {
  connections: number;
  seconds: number;
  ok: number;
  shed: number;
  otherStatuses: Record<string, number>;
  socketErrors: number;
  timeouts: number;
  /** wrk, every answered request (200 and 503). */
  p50Ms: number;
  p99Ms: number;
  /** The probe client's served (200) requests. */
  probeServed: number;
  probeShed: number;
  probeP50Ms: number;
  probeP99Ms: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssPeakWorkerMiB: number;
  rssAfterMiB: number;
}

const RESULT_MARKER = 'WRK_OVERLOAD ';

export async function runOverload(server: TestServer, request: LoadRequest, options: OverloadOptions): Promise<OverloadResult> {
  const memory = new MemorySampler(server.dataDir);
  const before = memory.sample();
  memory.start(100);
  const probe = runProbe(server, request, options);
  const wrk = await runWrk(request, options);
  const probed = await probe;
  memory.stop();
  await new Promise((resolve) => setTimeout(resolve, options.settleSeconds * 1000));
  const after = memory.sample();
  const { 200: ok = 0, 503: shed = 0, ...others } = wrk.statuses;
  return {
    connections: options.connections,
    seconds: options.seconds,
    ok,
    shed,
    otherStatuses: Object.fromEntries(Object.entries(others).map(([status, count]) => [status, count])),
    socketErrors: wrk.socketErrors,
    timeouts: wrk.timeouts,
    p50Ms: wrk.p50Us / 1000,
    p99Ms: wrk.p99Us / 1000,
    probeServed: probed.served.length,
    probeShed: probed.shed,
    probeP50Ms: percentile(probed.served, 0.5),
    probeP99Ms: percentile(probed.served, 0.99),
    rssBeforeMiB: before.total,
    rssPeakMiB: memory.peakTotal,
    rssPeakWorkerMiB: memory.peakProcess,
    rssAfterMiB: after.total,
  };
}

interface WrkOverload {
  statuses: Record<string, number>;
  socketErrors: number;
  timeouts: number;
  p50Us: number;
  p99Us: number;
}

/** wrk in the background (the memory sampler and the probe run meanwhile), counting every status. */
function runWrk(request: LoadRequest, options: OverloadOptions): Promise<WrkOverload> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-wrk-'));
  const script = join(dir, 'overload.lua');
  writeFileSync(script, overloadScript(request));
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '30s', '-s', script, request.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
      const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
      if (line === undefined) return reject(new Error(`wrk produced no result:\n${stdout}\n${stderr}`));
      resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as WrkOverload);
    });
  });
}

function overloadScript(request: LoadRequest): string {
  return [
    `wrk.method = ${luaQuote(request.method)}`,
    request.body === undefined ? '' : `wrk.body = ${luaQuote(JSON.stringify(request.body))}`,
    request.body === undefined ? '' : 'wrk.headers["Content-Type"] = "application/json"',
    `wrk.headers["Authorization"] = ${luaQuote(`Bearer ${request.token}`)}`,
    'local threads = {}',
    'function setup(thread) table.insert(threads, thread) end',
    'statuses = {}',
    'function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end',
    'function done(summary, latency, requests)',
    '  local counts = {}',
    '  for _, thread in ipairs(threads) do',
    '    for status, count in pairs(thread:get("statuses")) do',
    '      table.insert(counts, string.format(\'"%d":%d\', status, count))',
    '    end',
    '  end',
    '  local e = summary.errors',
    `  io.write(string.format('${RESULT_MARKER}{"statuses":{%s},"socketErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d}\\n',`,
    '    table.concat(counts, ","), e.connect + e.read + e.write, e.timeout, latency:percentile(50), latency:percentile(99)))',
    'end',
  ].join('\n');
}

/** A client among the crowd: one request at a time per connection, timing each; 503s are counted, not retried. */
async function runProbe(server: TestServer, request: LoadRequest, options: OverloadOptions): Promise<{ served: number[]; shed: number }> {
  const agent = new https.Agent({ ca: server.ca, keepAlive: true, maxSockets: options.probeConnections, lookup: loopbackLookup });
  const deadline = performance.now() + options.seconds * 1000;
  const served: number[] = [];
  let shed = 0;
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const once = () =>
    new Promise<number>((resolve) => {
      const outgoing = https.request(request.url, {
        method: request.method,
        agent,
        headers: { authorization: `Bearer ${request.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        timeout: 30_000,
      }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      outgoing.on('error', () => resolve(0));
      outgoing.end(body);
    });
  const loop = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const status = await once();
      if (status === 200) served.push(performance.now() - started);
      else if (status === 503) shed += 1;
      // A client that honours Retry-After would wait here; the probe only measures, so it goes on at once.
    }
  };
  try {
    await Promise.all(Array.from({ length: options.probeConnections }, loop));
  } finally {
    agent.destroy();
  }
  return { served, shed };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

/** Resident memory of the processes whose command line names the server's data directory. */
class MemorySampler {
  readonly dataDir: string;
  peakTotal = 0;
  peakProcess = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  sample(): { total: number; largest: number } {
    let total = 0;
    let largest = 0;
    for (const pid of this.pids()) {
      const mib = rssMiB(pid);
      total += mib;
      largest = Math.max(largest, mib);
    }
    this.peakTotal = Math.max(this.peakTotal, total);
    this.peakProcess = Math.max(this.peakProcess, largest);
    return { total, largest };
  }

  private pids(): string[] {
    let entries: string[];
    try {
      entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
    } catch {
      return [];
    }
    return entries.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.dataDir);
      } catch {
        return false;
      }
    });
  }
}

function rssMiB(pid: string): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? 0 : Number(match[1]) / 1024;
  } catch {
    return 0;
  }
}
