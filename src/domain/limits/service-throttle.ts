/**
 * Counts transactions against Key Vault's service limits (service-limits.ts) in fixed windows, for
 * `--throttle keyvault`. A request is admitted while its class's budget is not used up, and charged its weighted
 * cost once its key is known; a request refused with 429 is not counted (as Key Vault documents). Admission
 * happens before the body is read; the cost of an operation on a key is known only from the key, so the
 * budget may end a window slightly overdrawn, which then delays the next admission.
 *
 * Each worker process of a node counts on its own, with its share of the budget (1/workers): the cluster
 * module spreads connections round-robin, so the node's sum stays at the limit. Nodes of a cluster count
 * separately (the limits are per node).
 */
import type { IntDate } from '../../lib/intdate.ts';
import { KEY_VAULT_WINDOW_SECONDS, TRANSACTION_BUDGETS, type TransactionClass } from './service-limits.ts';

export interface ServiceThrottleOptions {
  /** Multiplies every budget (tests use a small one). */
  scale?: number | undefined;
  windowSeconds?: number | undefined;
  /** This process's share of the node's budget. */
  share?: number | undefined;
  /** Milliseconds since the epoch. */
  clock?: () => number;
}

interface Window {
  start: number;
  used: number;
}

export class ServiceThrottle {
  readonly windowSeconds: number;
  readonly #budgets: Record<TransactionClass, number>;
  readonly #windows = new Map<TransactionClass, Window>();
  readonly #clock: () => number;

  constructor(options: ServiceThrottleOptions = {}) {
    this.windowSeconds = options.windowSeconds ?? KEY_VAULT_WINDOW_SECONDS;
    const factor = (options.scale ?? 1) * (options.share ?? 1);
    this.#budgets = Object.fromEntries(
      Object.entries(TRANSACTION_BUDGETS).map(([name, budget]) => [name, budget * factor]),
    ) as Record<TransactionClass, number>;
    this.#clock = options.clock ?? Date.now;
  }

  /** Whether a transaction of the class may start now, or in how many seconds to retry. */
  admit(transactionClass: TransactionClass): { admitted: true } | { admitted: false; retryAfterSeconds: IntDate } {
    const window = this.#current(transactionClass);
    if (window.used < this.#budgets[transactionClass]) return { admitted: true };
    const endsInMs = window.start + this.windowSeconds * 1000 - this.#clock();
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(endsInMs / 1000)) };
  }

  /** Counts an admitted transaction's cost (in units of its class's budget). */
  charge(transactionClass: TransactionClass, cost: number): void {
    this.#current(transactionClass).used += cost;
  }

  #current(transactionClass: TransactionClass): Window {
    const windowMs = this.windowSeconds * 1000;
    const start = Math.floor(this.#clock() / windowMs) * windowMs;
    let window = this.#windows.get(transactionClass);
    if (window === undefined || window.start !== start) {
      window = { start, used: 0 };
      this.#windows.set(transactionClass, window);
    }
    return window;
  }
}
