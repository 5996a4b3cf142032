/**
 * The audit tables' rows as every backend stores them (`audit_records`, `audit_chains`), and their records.
 * Missing identifiers are NULL in a row and absent in a record.
 */
import type { AuditChainHead, AuditQuery, AuditRecord } from '../domain/audit/audit-record.ts';

export interface AuditRecordRow {
  chain_id: string;
  seq: number;
  time: number;
  kind: string;
  operation_name: string;
  principal_id: string | null;
  key_name: string | null;
  body: string;
  prev_hash: string;
  hash: string;
}

export interface AuditChainRow {
  chain_id: string;
  head_seq: number;
  head_hash: string;
}

export const AUDIT_COLUMNS = 'chain_id, seq, time, kind, operation_name, principal_id, key_name, body, prev_hash, hash';

export function auditRecordFromRow(row: AuditRecordRow): AuditRecord {
  return {
    chainId: row.chain_id,
    seq: Number(row.seq),
    time: Number(row.time),
    kind: row.kind as AuditRecord['kind'],
    operationName: row.operation_name,
    ...(row.principal_id === null ? {} : { principalId: row.principal_id }),
    ...(row.key_name === null ? {} : { keyName: row.key_name }),
    body: row.body,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function auditRowOf(record: AuditRecord): AuditRecordRow {
  return {
    chain_id: record.chainId,
    seq: record.seq,
    time: record.time,
    kind: record.kind,
    operation_name: record.operationName,
    principal_id: record.principalId ?? null,
    key_name: record.keyName ?? null,
    body: record.body,
    prev_hash: record.prevHash,
    hash: record.hash,
  };
}

export const auditHeadFromRow = (row: AuditChainRow): AuditChainHead => ({ chainId: row.chain_id, seq: Number(row.head_seq), hash: row.head_hash });

/** The records `build` made must continue `head` exactly: a repository refuses anything else. */
export function assertContinues(chainId: string, head: AuditChainHead | undefined, records: readonly AuditRecord[]): void {
  let seq = head?.seq ?? 0;
  let hash = head?.hash ?? '0'.repeat(64);
  for (const record of records) {
    if (record.chainId !== chainId || record.seq !== seq + 1 || record.prevHash !== hash) {
      throw new Error(`audit records must continue chain ${chainId} at seq ${seq + 1}`);
    }
    seq = record.seq;
    hash = record.hash;
  }
}

/** A query as SQL conditions over numbered or positional placeholders. */
export function auditQueryConditions(query: AuditQuery, placeholder: (index: number) => string): { where: string; values: Array<string | number> } {
  const conditions: string[] = [];
  const values: Array<string | number> = [];
  const add = (sql: (p: string) => string, value: string | number) => {
    values.push(value);
    conditions.push(sql(placeholder(values.length)));
  };
  if (query.keyName !== undefined) add((p) => `key_name = ${p}`, query.keyName.toLowerCase());
  if (query.principalId !== undefined) add((p) => `principal_id = ${p}`, query.principalId);
  if (query.since !== undefined) add((p) => `time >= ${p}`, query.since);
  if (query.eventsOnly === true) conditions.push(`kind = 'event'`);
  if (query.after !== undefined) {
    const { time, chainId, seq } = query.after;
    values.push(time, time, chainId, time, chainId, seq);
    const [a, b, c, d, e, f] = [values.length - 5, values.length - 4, values.length - 3, values.length - 2, values.length - 1, values.length].map(placeholder);
    conditions.push(`(time > ${a} OR (time = ${b} AND chain_id > ${c}) OR (time = ${d} AND chain_id = ${e} AND seq > ${f}))`);
  }
  return { where: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, values };
}
