/**
 * The arithmetic of an object-limit check, the same for every backend: given what the instance holds now (read
 * by the backend under its serializing lock), would adding one version exceed a limit? Soft-deleted keys and
 * their versions count until they are purged; a new version of an existing key adds no key.
 */
import type { KeyObjectLimits, LimitRefusal } from './store.ts';

export interface KeyUsage {
  /** Whether the name already has a key row (active or soft-deleted). */
  keyExists: boolean;
  /** Keys in the instance (names), read only when `maxKeys` applies. */
  keys: () => number;
  /** Versions the key has now (0 for a new key). */
  versionsOfKey: () => number;
  /** Versions per family in the instance, read only when `maxHandles` applies. */
  versionsByFamily: () => Record<string, number>;
}

export function keyLimitRefusal(limits: KeyObjectLimits, family: string, usage: KeyUsage): LimitRefusal | undefined {
  if (usage.keyExists && usage.versionsOfKey() >= limits.maxVersionsPerKey) {
    return { refused: 'versions', limit: limits.maxVersionsPerKey };
  }
  if (limits.maxKeys !== undefined && !usage.keyExists && usage.keys() >= limits.maxKeys) {
    return { refused: 'keys', limit: limits.maxKeys };
  }
  if (limits.maxHandles !== undefined) {
    const { limit, costPerFamily } = limits.maxHandles;
    const byFamily = usage.versionsByFamily();
    const used = Object.entries(byFamily).reduce((sum, [name, count]) => sum + count * (costPerFamily[name] ?? 1), 0);
    if (used + (costPerFamily[family] ?? 1) > limit) return { refused: 'handles', limit };
  }
  return undefined;
}

/** Rows of `SELECT family, count(*) … GROUP BY family` as a record. */
export function familyCounts(rows: ReadonlyArray<{ family: string; n: number | string }>): Record<string, number> {
  return Object.fromEntries(rows.map((row) => [row.family, Number(row.n)]));
}
