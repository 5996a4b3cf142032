/**
 * The audit chains on PostgreSQL. Each chain has one writer (a node process), but that process runs several
 * units at once: appending locks the chain's row (`SELECT … FOR UPDATE`) until the unit ends, so concurrent
 * units append one after the other, and a unit that rolls back leaves the head where it was. A batch goes in as
 * one statement (`json_populate_recordset`), so a flush of many buffered records is one round trip.
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
import type { Sql } from './sql.ts';

const GENESIS = '0'.repeat(64);

export class PostgresAudit implements AuditRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async listAuditChains(): Promise<AuditChainHead[]> {
    const rows = await this.#sql.rows<AuditChainRow>('SELECT chain_id, head_seq, head_hash FROM audit_chains ORDER BY chain_id');
    return rows.map(auditHeadFromRow);
  }

  async listAuditRecords(chainId: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.#sql.rows<AuditRecordRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_records WHERE chain_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [chainId, afterSeq, limit],
    );
    return rows.map(auditRecordFromRow);
  }

  async queryAuditRecords(query: AuditQuery): Promise<AuditRecord[]> {
    const { where, values } = auditQueryConditions(query, (index) => `$${index}`);
    const rows = await this.#sql.rows<AuditRecordRow>(
      `SELECT ${AUDIT_COLUMNS} FROM audit_records ${where} ORDER BY time, chain_id, seq LIMIT $${values.length + 1}`,
      [...values, query.limit],
    );
    return rows.map(auditRecordFromRow);
  }

  async appendAuditRecords(chainId: string, build: (head: AuditChainHead | undefined) => readonly AuditRecord[]): Promise<void> {
    const head = await this.#lockHead(chainId);
    const records = build(head);
    assertContinues(chainId, head, records);
    const last = records.at(-1);
    if (last === undefined) return;
    await this.#sql.count(
      `INSERT INTO audit_records (${AUDIT_COLUMNS}) SELECT ${AUDIT_COLUMNS} FROM json_populate_recordset(NULL::audit_records, $1::json)`,
      [JSON.stringify(records.map(auditRowOf))],
    );
    await this.#sql.count(
      'INSERT INTO audit_chains (chain_id, head_seq, head_hash) VALUES ($1, $2, $3) ON CONFLICT (chain_id) DO UPDATE SET head_seq = excluded.head_seq, head_hash = excluded.head_hash',
      [chainId, last.seq, last.hash],
    );
  }

  /**
   * Locks the chain's row for the rest of the unit. A new chain's row is inserted first (head 0), so that two
   * units starting the same chain at once queue on it too (the second waits for the first's insert to end).
   */
  async #lockHead(chainId: string): Promise<AuditChainHead | undefined> {
    const select = 'SELECT chain_id, head_seq, head_hash FROM audit_chains WHERE chain_id = $1 FOR UPDATE';
    let [row] = await this.#sql.rows<AuditChainRow>(select, [chainId]);
    if (row === undefined) {
      await this.#sql.count('INSERT INTO audit_chains (chain_id, head_seq, head_hash) VALUES ($1, 0, $2) ON CONFLICT (chain_id) DO NOTHING', [chainId, GENESIS]);
      [row] = await this.#sql.rows<AuditChainRow>(select, [chainId]);
    }
    return row === undefined || Number(row.head_seq) === 0 ? undefined : auditHeadFromRow(row);
  }
}
