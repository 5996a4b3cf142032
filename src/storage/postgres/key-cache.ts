/**
 * The reader's key-version cache on PostgreSQL: spares the hot path (`getKeyVersion`, at the start of every key
 * operation) a round trip to the database.
 *
 * Freshness:
 * - this process's own writes: a unit that wrote a key drops that key's entries once its COMMIT has answered
 *   (or failed: a commit in doubt counts as a change), before `transaction()` returns, so a read after it is
 *   exactly as fresh as a query. A load that was under way while entries were dropped is not kept (a
 *   generation number), so a read that raced a commit cannot leave the old record behind.
 * - other nodes' writes: dropped when their notification arrives (`change-feed.ts`), or on any change the
 *   fallback poll sees; and the cache is bypassed entirely (`trusted = false`) whenever the feed cannot vouch
 *   for it (LISTEN connection down, poll failing).
 * - the other processes of this node: the node's change beacon (`../change-beacon.ts`), when given, is read
 *   before every cached answer, so a write acknowledged by another worker of this node is never answered from
 *   here, even before its notification arrives.
 */
import type { ChangeProbe } from '../change-aware-cache.ts';

export class KeyCache<V> {
  readonly #capacity: number;
  readonly #probe: ChangeProbe | undefined;
  readonly #entries = new Map<string, Map<string, V>>();
  #size = 0;
  #generation = 0;
  #trusted = false;

  constructor(options: { capacity?: number; probe?: ChangeProbe | undefined } = {}) {
    this.#capacity = options.capacity ?? 10_000;
    this.#probe = options.probe;
  }

  get trusted(): boolean {
    return this.#trusted;
  }

  /** Whether entries may be served; any change of trust drops everything. */
  set trusted(value: boolean) {
    if (value === this.#trusted) return;
    this.clear();
    this.#trusted = value;
  }

  async get(name: string, version: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    if (!this.#trusted) return load();
    if (this.#probe?.changedSinceLastCall() === true) this.clear();
    const cached = this.#entries.get(name)?.get(version);
    if (cached !== undefined) return cached;
    const generation = this.#generation;
    const loaded = await load();
    if (loaded !== undefined && this.#trusted && generation === this.#generation) this.#put(name, version, loaded);
    return loaded;
  }

  /** Drops the entries of these (lower-cased) names. */
  invalidate(names: Iterable<string>): void {
    this.#generation += 1;
    for (const name of names) {
      const versions = this.#entries.get(name);
      if (versions === undefined) continue;
      this.#size -= versions.size;
      this.#entries.delete(name);
    }
  }

  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
    this.#size = 0;
  }

  #put(name: string, version: string, value: V): void {
    if (this.#size >= this.#capacity) this.clear();
    let versions = this.#entries.get(name);
    if (versions === undefined) {
      versions = new Map();
      this.#entries.set(name, versions);
    }
    if (!versions.has(version)) this.#size += 1;
    versions.set(version, value);
  }
}
