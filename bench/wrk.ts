/**
 * Load generation with wrk (a C load generator with HdrHistogram latencies), from a separate process over
 * keep-alive HTTPS connections, one request at a time per connection, as SDK clients send them.
 * The request of each run is described in a generated Lua script, whose `done` hook prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LoadRequest {
  method: 'GET' | 'POST';
  url: string;
  token: string;
  body?: object;
}

export interface LoadResult {
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests answered with a non-2xx status, or that failed on the socket. */
  errors: number;
}

const RESULT_MARKER = 'WRK_RESULT ';

/** Makes sure wrk is there; on Debian as root it installs the `wrk` package, otherwise it explains. */
export function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && spawnSync('apt-get', ['--version']).error === undefined) {
    process.stderr.write('wrk is not installed; installing the Debian package wrk...\n');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    const install = spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'inherit' });
    if (install.status === 0) return;
  }
  throw new Error('npm run bench needs wrk (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk).');
}

export function runLoad(request: LoadRequest, options: { seconds: number; connections: number }): LoadResult {
  return runScript(luaScript(request), request.url, options);
}

/**
 * Runs wrk with a Lua script of the caller's (which must end with `RESULT_HOOK`, so that wrk prints its result
 * line) against `url`.
 */
export function runScript(script: string, url: string, options: { seconds: number; connections: number }): LoadResult {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-wrk-'));
  try {
    const file = join(dir, 'request.lua');
    writeFileSync(file, script);
    const run = spawnSync(
      'wrk',
      ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', file, url],
      { encoding: 'utf8' },
    );
    const line = run.stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
    if (line === undefined) throw new Error(`wrk produced no result:\n${run.stdout}\n${run.stderr}`);
    const raw = JSON.parse(line.slice(RESULT_MARKER.length)) as {
      requests: number; durationUs: number; errors: number; p50Us: number; p99Us: number;
    };
    return {
      requestsPerSecond: raw.requests / (raw.durationUs / 1e6),
      requests: raw.requests,
      p50Ms: raw.p50Us / 1000,
      p99Ms: raw.p99Us / 1000,
      errors: raw.errors,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `done` hook every script ends with: it prints the one JSON result line `runScript` reads. */
export const RESULT_HOOK = [
  'done = function(summary, latency, requests)',
  '  local e = summary.errors',
  `  io.write(string.format('${RESULT_MARKER}{"requests":%d,"durationUs":%d,"errors":%d,"p50Us":%d,"p99Us":%d}\\n',`,
  '    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,',
  '    latency:percentile(50), latency:percentile(99)))',
  'end',
].join('\n');

/** A Lua string literal of `text`. */
export function luaQuote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function luaScript(request: LoadRequest): string {
  const quote = luaQuote;
  return [
    `wrk.method = ${quote(request.method)}`,
    request.body === undefined ? '' : `wrk.body = ${quote(JSON.stringify(request.body))}`,
    request.body === undefined ? '' : 'wrk.headers["Content-Type"] = "application/json"',
    `wrk.headers["Authorization"] = ${quote(`Bearer ${request.token}`)}`,
    RESULT_HOOK,
  ].join('\n');
}
