/**
 * The audit log: the kernel's AuditSink, appending to this process's own hash chain (`audit-chain.ts`).
 *
 * - A write's record is appended inside the write's unit of work: it commits with the change or not at all.
 * - Other records (reads, crypto operations, refusals, requests that never reached the kernel) are buffered and
 *   appended in one unit every `flushIntervalMs` (100 ms), sooner when `maxBatch` (250) are waiting, and on `close()`.
 *   A flush that fails keeps its records for the next one; past `maxBuffered` the oldest are dropped and the
 *   next flush records how many (`AuditRecordsLost`), so a gap is itself on the record.
 * - Checkpoints: after `checkpointEvery` records, or `checkpointIntervalMs` after the last one when records came
 *   since, a flush appends the audit key's signature over the head; `close()` appends a final one.
 * - The chain id is random per process start; its first record (`AuditChainStart`) names the host and pid.
 *
 * `takeHandled(requestId)` tells the HTTP hook whether the kernel already recorded a request.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RootOfTrust } from '../../keystore/root-of-trust.ts';
import type { Store, UnitOfWork } from '../../storage/store.ts';
import type { AuditSink } from '../kernel/audit.ts';
import { chainRecords } from './audit-chain.ts';
import { eventDraft, requestDraft, type RequestAuditEvent, type TimedAuditEvent } from './audit-entry.ts';
import { canonicalJson } from './audit-hash.ts';
import { openAuditSigner, type AuditSigner } from './audit-key.ts';
import { CHAIN_OPERATION_NAMES } from './audit-operation-names.ts';
import type { AuditChainHead, AuditDraft } from './audit-record.ts';

export interface AuditLogOptions {
  store: Store;
  /** The root the audit key is sealed under: the node identity's. */
  root: RootOfTrust;
  /** Milliseconds since the epoch. */
  clock?: (() => number) | undefined;
  flushIntervalMs?: number | undefined;
  maxBatch?: number | undefined;
  maxBuffered?: number | undefined;
  checkpointEvery?: number | undefined;
  checkpointIntervalMs?: number | undefined;
  onError?: ((error: unknown) => void) | undefined;
}

/** How long the hook may take to ask about a request the kernel recorded. */
const HANDLED_TTL_MS = 120_000;

export class AuditLog implements AuditSink {
  readonly chainId = randomUUID();
  readonly #store: Store;
  readonly #root: RootOfTrust;
  readonly #clock: () => number;
  readonly #flushIntervalMs: number;
  readonly #maxBatch: number;
  readonly #maxBuffered: number;
  readonly #checkpointEvery: number;
  readonly #checkpointIntervalMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #started: number;
  readonly #handled = new Map<string, number>();
  #buffer: AuditDraft[] = [];
  #lost = 0;
  #signer: Promise<AuditSigner> | undefined;
  #flushes: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #timerImmediate = false;
  readonly #checkpointTimer: NodeJS.Timeout;
  #committedSeq = 0;
  #checkpointSeq = 0;
  #checkpointTime: number;
  #closed = false;

  constructor(options: AuditLogOptions) {
    this.#store = options.store;
    this.#root = options.root;
    this.#clock = options.clock ?? Date.now;
    this.#flushIntervalMs = options.flushIntervalMs ?? 100;
    this.#maxBatch = options.maxBatch ?? 250;
    this.#maxBuffered = options.maxBuffered ?? 100_000;
    this.#checkpointEvery = options.checkpointEvery ?? 1000;
    this.#checkpointIntervalMs = options.checkpointIntervalMs ?? 10_000;
    this.#onError = options.onError ?? ((error) => process.stderr.write(`The audit log could not write: ${String(error)}\n`));
    this.#started = this.#clock();
    this.#checkpointTime = this.#started;
    this.#checkpointTimer = setInterval(() => void this.flush(), this.#checkpointIntervalMs).unref();
    // The key exists (and is unsealed) before the first checkpoint needs it.
    this.#openSigner().catch(this.#onError);
  }

  async record(event: TimedAuditEvent, unit?: UnitOfWork): Promise<void> {
    const draft = eventDraft(event, this.#clock());
    if (event.channel === 'http') this.#handled.set(event.requestId, draft.time);
    if (unit === undefined) return this.#enqueue(draft);
    if (this.#closed) throw new Error('the audit log is closed');
    let last = 0;
    await unit.audit.appendAuditRecords(this.chainId, (head) => {
      const records = chainRecords(this.chainId, head, this.#withStart(head, [draft]));
      last = records.at(-1)?.seq ?? 0;
      return records;
    });
    unit.afterCommit(() => {
      this.#committedSeq = Math.max(this.#committedSeq, last);
      if (this.#committedSeq - this.#checkpointSeq >= this.#checkpointEvery) this.#schedule(0);
    });
  }

  /** A request the kernel did not record (see http/plugins/audit-requests.ts). */
  recordRequest(event: RequestAuditEvent): void {
    this.#enqueue(requestDraft(event, this.#clock()));
  }

  /** Whether the kernel recorded this request (and forgets it). */
  takeHandled(requestId: string): boolean {
    return this.#handled.delete(requestId);
  }

  /** Appends what is buffered now (and a checkpoint when one is due); resolves once it committed. */
  flush(): Promise<void> {
    const run = this.#flushes.then(() => this.#flushOnce(false));
    this.#flushes = run.catch(() => undefined);
    return run;
  }

  /** Flushes, then closes the chain with a final checkpoint. Call after the HTTP server stopped taking requests. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#checkpointTimer);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const run = this.#flushes.then(() => this.#flushOnce(true));
    this.#flushes = run.catch(() => undefined);
    await run;
  }

  #enqueue(draft: AuditDraft): void {
    if (this.#closed) {
      this.#onError(new Error(`the audit log is closed; a ${draft.operationName} record was not written`));
      return;
    }
    this.#buffer.push(draft);
    if (this.#buffer.length > this.#maxBuffered) {
      this.#buffer.shift();
      this.#lost += 1;
    }
    this.#schedule(this.#buffer.length >= this.#maxBatch ? 0 : this.#flushIntervalMs);
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) {
      if (delayMs > 0 || this.#timerImmediate) return;
      clearTimeout(this.#timer);
    }
    this.#timerImmediate = delayMs === 0;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerImmediate = false;
      this.flush().catch(this.#onError);
    }, delayMs);
    this.#timer.unref();
  }

  #openSigner(): Promise<AuditSigner> {
    this.#signer ??= openAuditSigner(this.#store, this.#root).catch((error: unknown) => {
      this.#signer = undefined;
      throw error;
    });
    return this.#signer;
  }

  #withStart(head: AuditChainHead | undefined, drafts: AuditDraft[]): AuditDraft[] {
    if (head !== undefined) return drafts;
    const body = canonicalJson({ chainId: this.chainId, host: hostname(), pid: process.pid, started: new Date(this.#started).toISOString() });
    return [{ time: this.#started, kind: 'start', operationName: CHAIN_OPERATION_NAMES.start, body }, ...drafts];
  }

  async #flushOnce(final: boolean): Promise<void> {
    this.#sweepHandled();
    const drafts = this.#buffer;
    const lost = this.#lost;
    const now = this.#clock();
    const uncheckpointed = drafts.length > 0 || this.#committedSeq > this.#checkpointSeq;
    const timeDue = uncheckpointed && now - this.#checkpointTime >= this.#checkpointIntervalMs;
    const countDue = this.#committedSeq - this.#checkpointSeq >= this.#checkpointEvery;
    const closing = final && (uncheckpointed || this.#committedSeq > 0);
    if (drafts.length === 0 && lost === 0 && !timeDue && !countDue && !closing) return;
    const signer = await this.#openSigner();
    this.#buffer = [];
    this.#lost = 0;
    const batch = lost === 0 ? drafts : [lostDraft(lost, now), ...drafts];
    let checkpointed: number | undefined;
    let last = 0;
    try {
      await this.#store.transaction((unit) =>
        unit.audit.appendAuditRecords(this.chainId, (head) => {
          const seqAfter = (head?.seq ?? 0) + batch.length + (head === undefined ? 1 : 0);
          const due = final || timeDue || seqAfter - this.#checkpointSeq >= this.#checkpointEvery;
          const records = chainRecords(this.chainId, head, this.#withStart(head, batch), due ? { signer, time: now, final } : undefined);
          last = records.at(-1)?.seq ?? head?.seq ?? 0;
          checkpointed = due ? last : undefined;
          return records;
        }),
        // Buffered records: acknowledged to no one, and lost in a crash anyway; no fsync on the hot path's timer.
        { relaxedDurability: !final },
      );
    } catch (error) {
      this.#buffer = [...drafts, ...this.#buffer];
      this.#lost += lost;
      throw error;
    }
    this.#committedSeq = Math.max(this.#committedSeq, last);
    if (checkpointed !== undefined) {
      this.#checkpointSeq = checkpointed;
      this.#checkpointTime = now;
    }
  }

  #sweepHandled(): void {
    const oldest = this.#clock() - HANDLED_TTL_MS;
    for (const [id, time] of this.#handled) {
      if (time >= oldest) break;
      this.#handled.delete(id);
    }
  }
}

function lostDraft(count: number, time: number): AuditDraft {
  return { time, kind: 'event', operationName: 'AuditRecordsLost', body: canonicalJson({ category: 'AuditEvent', operationName: 'AuditRecordsLost', count }) };
}
