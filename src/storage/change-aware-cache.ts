/**
 * A read cache that is exactly as fresh as a query.
 *
 * Before every read the cache asks its probe whether anything may have changed since it last asked, and drops
 * everything if so; a cached answer is therefore only returned while the store is unchanged since it was read.
 * Two probes:
 * - `dataVersionProbe`: SQLite's `PRAGMA data_version` on the read connection, which changes whenever any other
 *   connection commits (this process's writer, another process's). Needs nothing else, costs a statement.
 * - `beaconProbe`: the node's change beacon (`change-beacon.ts`), which every process of the node bumps after
 *   each commit. One small file read; used by the service, where all writers are the node's own processes.
 */
import type { StatementSync } from 'node:sqlite';
import type { ChangeBeacon } from './change-beacon.ts';

export interface ChangeProbe {
  /** True when anything may have changed since the previous call (and on the first). */
  changedSinceLastCall(): boolean;
}

export function dataVersionProbe(dataVersion: StatementSync): ChangeProbe {
  let seen = -1;
  return {
    changedSinceLastCall() {
      const now = (dataVersion.get() as { data_version: number }).data_version;
      if (now === seen) return false;
      seen = now;
      return true;
    },
  };
}

export function beaconProbe(beacon: ChangeBeacon): ChangeProbe {
  let seen = beacon.stampBuffer();
  let next = beacon.stampBuffer();
  let first = true;
  return {
    changedSinceLastCall() {
      beacon.read(next);
      if (!first && next.equals(seen)) return false;
      first = false;
      [seen, next] = [next, seen];
      return true;
    },
  };
}

export class ChangeAwareCache<V> {
  readonly #probe: ChangeProbe;
  readonly #capacity: number;
  readonly #entries = new Map<string, V>();

  constructor(probe: ChangeProbe, capacity = 10_000) {
    this.#probe = probe;
    this.#capacity = capacity;
  }

  get(key: string, load: () => V | undefined): V | undefined {
    if (this.#probe.changedSinceLastCall()) this.#entries.clear();
    const cached = this.#entries.get(key);
    if (cached !== undefined) return cached;
    const loaded = load();
    if (loaded !== undefined) {
      if (this.#entries.size >= this.#capacity) this.#entries.clear();
      this.#entries.set(key, loaded);
    }
    return loaded;
  }
}
