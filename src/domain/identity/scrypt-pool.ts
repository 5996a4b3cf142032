/**
 * scrypt off the libuv thread pool (issue 7). Node's async `crypto.scrypt` runs on the same four libuv threads
 * as RSA signing, key generation and every other async crypto call, so a flood of logins (each ~110 ms of
 * scrypt) queued ahead of them and made an RSA-3072 sign wait a second. Here every derivation runs as
 * `scryptSync` on a dedicated worker thread: it occupies that thread only, never a libuv one.
 *
 * Bounded on both sides: at most `threads` derivations run at once (one per thread) and at most `maxQueued`
 * wait; beyond that `derive` refuses at once with `SecretHashingBusy`, so no caller can build a backlog.
 *
 * Lifecycle: a thread is created on first use (or by `start()`), unref'd while idle so an idle pool never keeps
 * the process alive, ref'd while it runs a job (an awaited hash must not be dropped by an event loop that
 * thinks it has nothing left to do), and replaced on the next job if it dies; the job it ran is rejected.
 *
 * The worker's code is an inline script (`eval: true`), not a `hash-worker.ts` file beside this one: it then
 * runs the same whether Node executes the .ts sources, a compiled or bundled copy, or a test runner with its own
 * loader — no path to resolve, no type stripping inside the worker. It is a dozen lines of plain JS that parse
 * as a script or as a module alike.
 */
import { Worker } from 'node:worker_threads';

export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly maxmem: number;
}

/** The pool is full: the caller should answer "try again shortly" without hashing. */
export class SecretHashingBusy extends Error {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('Too many client secrets are being checked at once.');
    this.name = 'SecretHashingBusy';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** What `Retry-After` a refused caller is told: a queue of a few ~110 ms hashes drains in about a second. */
const BUSY_RETRY_AFTER_SECONDS = 1;

// `process.getBuiltinModule`, not `require` or `import`: an eval worker inherits the parent's flags, and under
// `--input-type=module` (or a default-ESM setting) its script is parsed as a module, where `require` is undefined.
const WORKER_SOURCE = `'use strict';
const { parentPort } = process.getBuiltinModule('node:worker_threads');
const { scryptSync } = process.getBuiltinModule('node:crypto');
parentPort.on('message', (job) => {
  let reply;
  try {
    reply = { derived: scryptSync(job.secret, job.salt, job.keyLength, job.parameters) };
  } catch (error) {
    reply = { error: String(error && error.message) };
  }
  parentPort.postMessage(reply);
});
`;

export function createScryptWorker(): Worker {
  return new Worker(WORKER_SOURCE, { eval: true, name: 'strongroom-scrypt' });
}

interface HashJob {
  readonly request: { secret: string; salt: Uint8Array; keyLength: number; parameters: ScryptParameters };
  readonly resolve: (derived: Buffer) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  job: HashJob | undefined;
}

export interface ScryptPoolOptions {
  /** Worker threads, which is also the number of derivations in flight at most. */
  threads: number;
  /** Derivations that may wait for a thread; one more is refused with `SecretHashingBusy`. */
  maxQueued: number;
  /** Makes a worker thread; tests pass one that lets them kill it. */
  createWorker?: () => Worker;
}

export class ScryptPool {
  readonly #threads: number;
  readonly #maxQueued: number;
  readonly #createWorker: () => Worker;
  readonly #slots = new Set<Slot>();
  readonly #queue: HashJob[] = [];
  #completed = 0;
  #closed = false;

  constructor(options: ScryptPoolOptions) {
    this.#threads = options.threads;
    this.#maxQueued = options.maxQueued;
    this.#createWorker = options.createWorker ?? createScryptWorker;
  }

  /** Derivations running, waiting, and finished (successfully or not) since the pool was made. */
  get statistics(): { running: number; queued: number; completed: number } {
    const running = [...this.#slots].filter((slot) => slot.job !== undefined).length;
    return { running, queued: this.#queue.length, completed: this.#completed };
  }

  derive(secret: string, salt: Uint8Array, keyLength: number, parameters: ScryptParameters): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new Error('the scrypt pool is closed'));
        return;
      }
      const job: HashJob = { request: { secret, salt, keyLength, parameters }, resolve, reject };
      const slot = this.#freeSlot();
      if (slot !== undefined) this.#run(slot, job);
      else if (this.#queue.length < this.#maxQueued) this.#queue.push(job);
      else reject(new SecretHashingBusy(BUSY_RETRY_AFTER_SECONDS));
    });
  }

  /** Starts the worker threads now rather than on first use. */
  start(): void {
    while (!this.#closed && this.#slots.size < this.#threads) this.#spawn();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the scrypt pool is closed'));
    const slots = [...this.#slots];
    this.#slots.clear();
    for (const slot of slots) slot.job?.reject(new Error('the scrypt pool is closed'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #freeSlot(): Slot | undefined {
    for (const slot of this.#slots) if (slot.job === undefined) return slot;
    return this.#slots.size < this.#threads ? this.#spawn() : undefined;
  }

  #spawn(): Slot {
    const slot: Slot = { worker: this.#createWorker(), job: undefined };
    slot.worker.unref();
    slot.worker.on('message', (reply: unknown) => this.#finish(slot, reply));
    slot.worker.on('error', (error: Error) => this.#lose(slot, error));
    slot.worker.on('exit', (code: number) => this.#lose(slot, new Error(`the scrypt worker stopped (exit code ${code})`)));
    this.#slots.add(slot);
    return slot;
  }

  #run(slot: Slot, job: HashJob): void {
    slot.job = job;
    slot.worker.ref();
    slot.worker.postMessage(job.request);
  }

  #finish(slot: Slot, reply: unknown): void {
    const job = slot.job;
    slot.job = undefined;
    slot.worker.unref();
    if (job !== undefined) {
      this.#completed += 1;
      const derived = (reply as { derived?: unknown } | null)?.derived;
      if (derived instanceof Uint8Array) job.resolve(Buffer.from(derived.buffer, derived.byteOffset, derived.byteLength));
      else job.reject(new Error(`scrypt failed: ${String((reply as { error?: unknown } | null)?.error)}`));
    }
    const next = this.#queue.shift();
    if (next !== undefined) this.#run(slot, next);
  }

  /** A thread died ('error' then 'exit', or only 'exit'): fail its job and give waiting work a new thread. */
  #lose(slot: Slot, error: Error): void {
    if (!this.#slots.delete(slot)) return;
    if (slot.job !== undefined) {
      this.#completed += 1;
      slot.job.reject(error);
    }
    const next = this.#queue.shift();
    if (next !== undefined) {
      const replacement = this.#freeSlot();
      if (replacement !== undefined) this.#run(replacement, next);
      else this.#queue.unshift(next);
    }
  }
}
