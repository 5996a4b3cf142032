/**
 * Throughput of the signing paths, compared with Node's own crypto.sign (which hashes the message itself).
 * Not a test (no .test.ts suffix): run by hand, on an otherwise idle machine:
 *
 *   node_modules/.bin/node bench/crypto-paths.ts
 *
 * Prints ops/s (median of 5 interleaved rounds) for ES256 and RS256-2048, and the event-loop delay while RSA-4096 signing
 * runs synchronously (Node) versus on the thread pool (signDigest). docs/crypto.md quotes its output. The
 * numbers move with machine load; compare lines of the same run, not runs.
 */
import { createHash, randomBytes, sign as nodeSign } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { generateKeyMaterial } from '../src/crypto/key-generation.ts';
import type { KeyMaterial } from '../src/crypto/key-material.ts';
import { nativeKeyFor } from '../src/crypto/native-keys.ts';
import { DIGEST_ID, SIGN_MODE } from '../src/crypto/native.ts';
import { signDigest } from '../src/crypto/operations.ts';

const nodeSignAsync = promisify(nodeSign);
const ROUNDS = 5;

type Variant = readonly [label: string, operations: number, run: () => unknown];

/**
 * Median ops/s of each variant over ROUNDS rounds. The variants take turns within each round, so that drift in
 * machine load or CPU clock hits them all alike.
 */
async function compare(variants: readonly Variant[]): Promise<void> {
  const rates = variants.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, [, operations, run]] of variants.entries()) {
      const start = performance.now();
      for (let i = 0; i < operations; i += 1) await run();
      rates[index]?.push(operations / ((performance.now() - start) / 1000));
    }
  }
  variants.forEach(([label], index) => {
    const sorted = (rates[index] ?? []).sort((a, b) => a - b);
    line(label, sorted[Math.floor(ROUNDS / 2)] ?? 0);
  });
}

/** Keeps `inFlight` promises running until `operations` have completed. */
async function concurrentOpsPerSecond(
  operations: number,
  inFlight: number,
  run: () => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < operations) {
      issued += 1;
      await run();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return operations / ((performance.now() - start) / 1000);
}

function line(label: string, value: number, unit = 'ops/s'): void {
  const shown = unit === 'ms' ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
  process.stdout.write(`${label.padEnd(62)} ${shown.padStart(9)} ${unit}\n`);
}

async function es256(key: KeyMaterial & { family: 'EC' }): Promise<void> {
  const message = randomBytes(64);
  const digest = createHash('sha256').update(message).digest();
  const handle = nativeKeyFor(key.privateKey);
  const p1363 = { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const };
  for (let i = 0; i < 2000; i += 1) await signDigest(key, 'ES256', digest); // warm-up
  await compare([
    ['ES256 signDigest (await, one at a time)', 10000, () => signDigest(key, 'ES256', digest)],
    [
      'ES256 native handle, synchronous (no promise)',
      10000,
      () => handle.signDigest(SIGN_MODE.ecdsa, DIGEST_ID.none, digest),
    ],
    ["ES256 Node crypto.sign('sha256', msg, key), DER", 10000, () => nodeSign('sha256', message, key.privateKey)],
    ["ES256 Node crypto.sign(..., {dsaEncoding:'ieee-p1363'})", 5000, () => nodeSign('sha256', message, p1363)],
  ]);
}

async function rs256(key: KeyMaterial & { family: 'RSA' }): Promise<void> {
  const message = randomBytes(64);
  const digest = createHash('sha256').update(message).digest();
  const handle = nativeKeyFor(key.privateKey);
  await compare([
    ['RS256-2048 signDigest (thread pool, 1 in flight)', 300, () => signDigest(key, 'RS256', digest)],
    [
      'RS256-2048 native handle, synchronous',
      300,
      () => handle.signDigest(SIGN_MODE.rsaPkcs1, DIGEST_ID.sha256, digest),
    ],
    ["RS256-2048 Node crypto.sign('sha256', msg, key), sync", 300, () => nodeSign('sha256', message, key.privateKey)],
  ]);
  const pooled = await concurrentOpsPerSecond(2000, 4, () => signDigest(key, 'RS256', digest));
  line('RS256-2048 signDigest (thread pool, 4 in flight)', pooled);
  const nodePooled = await concurrentOpsPerSecond(2000, 4, () => nodeSignAsync('sha256', message, key.privateKey));
  line('RS256-2048 Node crypto.sign with callback (4 in flight)', nodePooled);
}

/**
 * Event-loop delay (p50/p99) while RSA-4096 signatures arrive at a steady 50 per second for 3 seconds, about
 * a third of one core: made synchronously on the event loop (Node's crypto.sign) versus on the thread pool
 * (signDigest). The delay is what every other request on the process waits on top of its own work.
 */
async function loopDelay(key: KeyMaterial & { family: 'RSA' }): Promise<void> {
  const message = randomBytes(64);
  const digest = createHash('sha256').update(message).digest();
  const underLoad = async (signOnce: () => unknown): Promise<[number, number]> => {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    const pending: unknown[] = [];
    histogram.enable();
    const timer = setInterval(() => pending.push(signOnce()), 20);
    await new Promise<void>((resolve) => setTimeout(resolve, 3000));
    clearInterval(timer);
    await Promise.all(pending);
    histogram.disable();
    return [histogram.percentile(50) / 1e6, histogram.percentile(99) / 1e6];
  };
  const [syncP50, syncP99] = await underLoad(() => nodeSign('sha256', message, key.privateKey));
  const [poolP50, poolP99] = await underLoad(() => signDigest(key, 'RS256', digest));
  line('RS256-4096 at 50/s: loop delay p50, Node sync sign', syncP50, 'ms');
  line('RS256-4096 at 50/s: loop delay p99, Node sync sign', syncP99, 'ms');
  line('RS256-4096 at 50/s: loop delay p50, signDigest (thread pool)', poolP50, 'ms');
  line('RS256-4096 at 50/s: loop delay p99, signDigest (thread pool)', poolP99, 'ms');
}

const ec = await generateKeyMaterial({ family: 'EC', curve: 'P-256' });
const rsa2048 = await generateKeyMaterial({ family: 'RSA', sizeBits: 2048, publicExponent: 65537 });
const rsa4096 = await generateKeyMaterial({ family: 'RSA', sizeBits: 4096, publicExponent: 65537 });
if (ec.family !== 'EC' || rsa2048.family !== 'RSA' || rsa4096.family !== 'RSA') throw new TypeError('unexpected keys');
process.stdout.write(
  `Node ${process.version}, OpenSSL ${process.versions.openssl}, UV_THREADPOOL_SIZE=${process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)'}\n`,
);
await es256(ec);
await rs256(rsa2048);
await loopDelay(rsa4096);
