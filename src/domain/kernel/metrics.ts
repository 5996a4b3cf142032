/**
 * Per-operation counters and latency, observed by the kernel for every call: how many succeeded and failed,
 * and the total and largest duration. Cheap enough for the hot path (two clock reads and a map lookup); an
 * exporter (Prometheus text, a status endpoint) reads `snapshot()`.
 */
export type Outcome = 'success' | 'failure';

export interface OperationStats {
  success: number;
  failure: number;
  totalMs: number;
  maxMs: number;
}

export class OperationMetrics {
  readonly #stats = new Map<string, OperationStats>();

  observe(operation: string, outcome: Outcome, durationMs: number): void {
    let stats = this.#stats.get(operation);
    if (stats === undefined) {
      stats = { success: 0, failure: 0, totalMs: 0, maxMs: 0 };
      this.#stats.set(operation, stats);
    }
    stats[outcome] += 1;
    stats.totalMs += durationMs;
    if (durationMs > stats.maxMs) stats.maxMs = durationMs;
  }

  snapshot(): Record<string, OperationStats> {
    return Object.fromEntries([...this.#stats].map(([name, stats]) => [name, { ...stats }]));
  }
}
