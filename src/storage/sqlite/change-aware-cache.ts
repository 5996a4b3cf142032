/**
 * A read cache that is exactly as fresh as a query.
 *
 * The cache sits on the store's read connection, which never writes. SQLite's `PRAGMA data_version` on a
 * connection changes whenever any other connection commits: this process's write connection, or another worker
 * process's. Every read first compares it with the value the cached entries were read under and drops everything
 * on any change, so a cached answer is only ever returned while the database is unchanged since it was read. The
 * check is one tiny statement, much cheaper than the joined, JSON-decoding query it saves on the hot path of
 * every key operation.
 */
import type { StatementSync } from 'node:sqlite';

export class ChangeAwareCache<V> {
  readonly #dataVersion: StatementSync;
  readonly #capacity: number;
  readonly #entries = new Map<string, V>();
  #readUnder = -1;

  constructor(dataVersion: StatementSync, capacity = 10_000) {
    this.#dataVersion = dataVersion;
    this.#capacity = capacity;
  }

  get(key: string, load: () => V | undefined): V | undefined {
    const dataVersion = (this.#dataVersion.get() as { data_version: number }).data_version;
    if (dataVersion !== this.#readUnder) {
      this.#entries.clear();
      this.#readUnder = dataVersion;
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
