/**
 * The audit chains on SQLite. A unit of work holds the database's write lock from `BEGIN IMMEDIATE` to its end,
 * so reading a chain's head inside it and appending after it cannot interleave with another unit.
 */
import type { AuditChainHead, AuditQuery, AuditRecord } from '../../domain/audit/audit-record.ts';
import {
  AUDIT_COLUMNS,
  assertContinues,
  auditHeadFromRow,
  auditQueryConditions,
  auditRecordFromRow,
  auditRowOf,
  type AuditChainRow,
  type AuditRecordRow,
} from '../audit-rows.ts';
import type { AuditRepository } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

export class SqliteAudit implements AuditRepository {
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  async listAuditChains(): Promise<AuditChainHead[]> {
    const rows = this.#connection.statement('SELECT chain_id, head_seq, head_hash FROM audit_chains ORDER BY chain_id').all() as unknown as AuditChainRow[];
    return rows.map(auditHeadFromRow);
  }

  async listAuditRecords(chainId: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = this.#connection
      .statement(`SELECT ${AUDIT_COLUMNS} FROM audit_records WHERE chain_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
      .all(chainId, afterSeq, limit) as unknown as AuditRecordRow[];
    return rows.map(auditRecordFromRow);
  }

  async queryAuditRecords(query: AuditQuery): Promise<AuditRecord[]> {
    const { where, values } = auditQueryConditions(query, () => '?');
    const rows = this.#connection
      .statement(`SELECT ${AUDIT_COLUMNS} FROM audit_records ${where} ORDER BY time, chain_id, seq LIMIT ?`)
      .all(...values, query.limit) as unknown as AuditRecordRow[];
    return rows.map(auditRecordFromRow);
  }

  async appendAuditRecords(chainId: string, build: (head: AuditChainHead | undefined) => readonly AuditRecord[]): Promise<void> {
    const row = this.#connection.statement('SELECT chain_id, head_seq, head_hash FROM audit_chains WHERE chain_id = ?').get(chainId) as AuditChainRow | undefined;
    const head = row && auditHeadFromRow(row);
    const records = build(head);
    assertContinues(chainId, head, records);
    const last = records.at(-1);
    if (last === undefined) return;
    const insert = this.#connection.statement(`INSERT INTO audit_records (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const record of records) {
      const r = auditRowOf(record);
      insert.run(r.chain_id, r.seq, r.time, r.kind, r.operation_name, r.principal_id, r.key_name, r.body, r.prev_hash, r.hash);
    }
    this.#connection
      .statement('INSERT INTO audit_chains (chain_id, head_seq, head_hash) VALUES (?, ?, ?) ON CONFLICT (chain_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash')
      .run(chainId, last.seq, last.hash);
  }
}
