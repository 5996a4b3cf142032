/**
 * A read cache that is exactly as fresh as a query.
 *
 * SQLite's `PRAGMA data_version` changes whenever another connection (another worker process) commits, and
 * this connection's own commits are counted as they happen. Every read first compares both with the values
 * the cached entries were read under and drops everything on any change, so a cached answer is only ever
 * returned while the database is unchanged since it was read. The check is one tiny statement, much cheaper
 * than the joined, JSON-decoding query it saves on the hot path of every key operation.
 */
import type { StatementSync } from 'node:sqlite';

export class ChangeAwareCache<V> {
  readonly #dataVersion: StatementSync;
  readonly #capacity: number;
  readonly #entries = new Map<string, V>();
  #readUnder = { dataVersion: -1, localWrites: -1 };
  #localWrites = 0;

  constructor(dataVersion: StatementSync, capacity = 10_000) {
    this.#dataVersion = dataVersion;
    this.#capacity = capacity;
  }

  /** Call after every commit on this connection (data_version does not count those). */
  noteLocalWrite(): void {
    this.#localWrites++;
  }

  get(key: string, load: () => V | undefined): V | undefined {
    const dataVersion = (this.#dataVersion.get() as { data_version: number }).data_version;
    if (dataVersion !== this.#readUnder.dataVersion || this.#localWrites !== this.#readUnder.localWrites) {
      this.#entries.clear();
      this.#readUnder = { dataVersion, localWrites: this.#localWrites };
    }
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
