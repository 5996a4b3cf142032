/** The key-event outbox on PostgreSQL (`key_events`). */
import type { KeyEventAttempt, KeyEventRecord } from '../../domain/events/key-event-record.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { keyEventFromRow, type KeyEventRow } from '../rotation-rows.ts';
import type { KeyEventRepository } from '../store.ts';
import type { Sql } from './sql.ts';

export class PostgresKeyEvents implements KeyEventRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async listPendingKeyEvents(now: IntDate, limit: number): Promise<KeyEventRecord[]> {
    const rows = await this.#sql.rows<KeyEventRow>(
      `SELECT * FROM key_events WHERE status = 'pending' AND next_attempt <= $1 ORDER BY time, id LIMIT $2`,
      [now, limit],
    );
    return rows.map(keyEventFromRow);
  }

  async getKeyEvent(id: string): Promise<KeyEventRecord | undefined> {
    const [row] = await this.#sql.rows<KeyEventRow>('SELECT * FROM key_events WHERE id = $1', [id]);
    return row && keyEventFromRow(row);
  }

  async addKeyEvent(event: { id: string; time: IntDate; body: string }): Promise<void> {
    await this.#sql.count(
      `INSERT INTO key_events (id, time, body, status, attempts, next_attempt) VALUES ($1, $2, $3, 'pending', 0, $2)`,
      [event.id, event.time, event.body],
    );
  }

  async recordKeyEventAttempt(id: string, attempt: KeyEventAttempt): Promise<boolean> {
    const changed = await this.#sql.count(
      `UPDATE key_events SET status = $2, attempts = $3, next_attempt = $4, last_error = $5, delivered_at = $6
       WHERE id = $1 AND status = 'pending'`,
      [id, attempt.status, attempt.attempts, attempt.nextAttempt, attempt.lastError ?? null, attempt.deliveredAt ?? null],
    );
    return changed > 0;
  }
}
