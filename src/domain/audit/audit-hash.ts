/**
 * The canonical encoding the chain hashes, and the JSON every record body is written in.
 *
 * A record's hash is SHA-256 over the JSON array
 *   ["strongroom-audit/1", chainId, seq, time, kind, operationName, principalId|null, keyName|null, body, prevHash]
 * JSON of an array of strings, integers and nulls has exactly one form (no member order, no whitespace), so the
 * encoding is canonical; the body is included as the text stored, and is itself canonical JSON (members sorted
 * by code point, no undefined members), so a tool that re-encodes a parsed body gets the same bytes.
 */
import { hash } from 'node:crypto';
import type { AuditRecord } from './audit-record.ts';

export const GENESIS_HASH = '0'.repeat(64);
const DOMAIN = 'strongroom-audit/1';

export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  const encoded = JSON.stringify([
    DOMAIN,
    record.chainId,
    record.seq,
    record.time,
    record.kind,
    record.operationName,
    record.principalId ?? null,
    record.keyName ?? null,
    record.body,
    record.prevHash,
  ]);
  // The one-shot hash: a Hash object per record cost twice as much, and every request writes a record.
  return hash('sha256', encoded, 'hex');
}

export type JsonValue = string | number | boolean | null | undefined | readonly JsonValue[] | { readonly [member: string]: JsonValue };

/** JSON with object members sorted by code point and undefined members left out. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('not a finite number');
    return JSON.stringify(value ?? null);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const members = Object.entries(value as Record<string, JsonValue>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${members.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(',')}}`;
}
