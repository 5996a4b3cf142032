/** Small pieces every backend needs alike: a page from "limit + 1" rows, frozen shared records, JSON columns. */
import type { Page } from './store.ts';

/** A page from rows fetched with `LIMIT limit + 1`: the extra row, when there is one, says that more follow. */
export function pageOf<R, T>(rows: R[], limit: number, map: (row: R) => T, position: (row: R) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return rows.length > limit && last !== undefined ? { items: items.map(map), next: position(last) } : { items: items.map(map) };
}

/** Cached records are shared between requests: nobody may change one. */
export function deepFreeze<T extends object>(value: T): T {
  for (const member of Object.values(value)) {
    // Byte buffers cannot be frozen; the sealed material is only ever read.
    if (typeof member === 'object' && member !== null && !ArrayBuffer.isView(member)) deepFreeze(member);
  }
  return Object.freeze(value);
}

/** JSON text for a JSON column, or NULL. */
export function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
