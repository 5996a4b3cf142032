/**
 * Runs scheduled jobs once per cluster. Every node runs a runner; on each tick, for each job that is due, a node
 * tries to take the job's lease (a row in the store, taken in a unit of work, so two nodes asking at once cannot
 * both get it), runs the job as the system caller, and records how it went and when it is due next, giving the
 * lease up. While a run goes on, its node renews the lease (every third of the lease time), so a long run keeps
 * it; a node that dies mid-run stops renewing, and another node takes the job once the lease expires (seconds).
 */
import { randomUUID } from 'node:crypto';
import { systemContext } from '../domain/kernel/context.ts';
import type { IntDate } from '../lib/intdate.ts';
import type { Store } from '../storage/store.ts';
import type { Job } from './job.ts';

export interface JobRunnerOptions {
  store: Store;
  jobs: readonly Job[];
  clock: () => IntDate;
  /** This node's name in leases; random by default. */
  holder?: string;
  onFailure?: (job: string, error: unknown) => void;
  /** How often a running job's lease is renewed; by default a third of the job's lease time. */
  renewEveryMs?: (job: Job) => number;
}

export class JobRunner {
  readonly holder: string;
  readonly #store: Store;
  readonly #jobs: readonly Job[];
  readonly #clock: () => IntDate;
  readonly #onFailure: (job: string, error: unknown) => void;
  readonly #renewEveryMs: (job: Job) => number;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<string[]> | undefined;

  constructor(options: JobRunnerOptions) {
    this.holder = options.holder ?? `node-${randomUUID()}`;
    this.#store = options.store;
    this.#jobs = options.jobs;
    this.#clock = options.clock;
    this.#onFailure = options.onFailure ?? (() => {});
    this.#renewEveryMs = options.renewEveryMs ?? ((job) => (job.leaseSeconds * 1000) / 3);
  }

  /** Runs every job that is due and whose lease this node gets; returns the names of the jobs it ran. */
  tick(): Promise<string[]> {
    // One tick at a time: a slow job must not be started again by the next timer tick.
    this.#ticking ??= this.#runDueJobs().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  start(everyMs: number): void {
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#ticking;
  }

  async #runDueJobs(): Promise<string[]> {
    const ran: string[] = [];
    for (const job of this.#jobs) {
      try {
        if (await this.#runIfDue(job)) ran.push(job.name);
      } catch (error) {
        // The store itself failed (busy, closed): try again at the next tick.
        this.#onFailure(job.name, error);
      }
    }
    return ran;
  }

  /** The running job's lease, extended from now (it is ours, so taking it again renews it). */
  async #renew(job: Job): Promise<void> {
    const now = this.#clock();
    try {
      await this.#store.transaction((unit) => unit.jobs.tryAcquireLease(job.name, this.holder, now, now + job.leaseSeconds));
    } catch (error) {
      this.#onFailure(job.name, error);
    }
  }

  async #runIfDue(job: Job): Promise<boolean> {
    const now = this.#clock();
    const record = await this.#store.reader.jobs.getJob(job.name);
    if (record?.nextRun !== undefined && record.nextRun > now) return false;
    const leased = await this.#store.transaction((unit) =>
      unit.jobs.tryAcquireLease(job.name, this.holder, now, now + job.leaseSeconds),
    );
    if (!leased) return false;
    let outcome: 'succeeded' | 'failed' = 'succeeded';
    let error: string | undefined;
    let state: string | undefined;
    const renewal = setInterval(() => void this.#renew(job), this.#renewEveryMs(job));
    renewal.unref();
    try {
      state = await job.run(systemContext(job.name, this.#clock), record?.state);
    } catch (failure) {
      outcome = 'failed';
      error = oneLine(failure);
      this.#onFailure(job.name, failure);
    } finally {
      clearInterval(renewal);
    }
    const finished = this.#clock();
    await this.#store.transaction((unit) =>
      unit.jobs.recordRun(job.name, this.holder, { started: now, finished, outcome, error, nextRun: now + job.intervalSeconds, state }),
    );
    return true;
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}
