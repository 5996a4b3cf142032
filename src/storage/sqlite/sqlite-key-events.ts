/** The key-event outbox on SQLite (`key_events`). */
import type { KeyEventAttempt, KeyEventRecord } from '../../domain/events/key-event-record.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { keyEventFromRow, type KeyEventRow } from '../rotation-rows.ts';
import type { KeyEventRepository } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

export class SqliteKeyEvents implements KeyEventRepository {
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  async listPendingKeyEvents(now: IntDate, limit: number): Promise<KeyEventRecord[]> {
    const rows = this.#connection
      .statement(`SELECT * FROM key_events WHERE status = 'pending' AND next_attempt <= ? ORDER BY time, id LIMIT ?`)
      .all(now, limit) as unknown as KeyEventRow[];
    return rows.map(keyEventFromRow);
  }

  async getKeyEvent(id: string): Promise<KeyEventRecord | undefined> {
    const row = this.#connection.statement('SELECT * FROM key_events WHERE id = ?').get(id) as KeyEventRow | undefined;
    return row && keyEventFromRow(row);
  }

  async addKeyEvent(event: { id: string; time: IntDate; body: string }): Promise<void> {
    this.#connection
      .statement(`INSERT INTO key_events (id, time, body, status, attempts, next_attempt) VALUES (?, ?, ?, 'pending', 0, ?)`)
      .run(event.id, event.time, event.body, event.time);
  }

  async recordKeyEventAttempt(id: string, attempt: KeyEventAttempt): Promise<boolean> {
    const changed = this.#connection
      .statement(
        `UPDATE key_events SET status = ?, attempts = ?, next_attempt = ?, last_error = ?, delivered_at = ?
         WHERE id = ? AND status = 'pending'`,
      )
      .run(attempt.status, attempt.attempts, attempt.nextAttempt, attempt.lastError ?? null, attempt.deliveredAt ?? null, id).changes;
    return Number(changed) > 0;
  }
}
