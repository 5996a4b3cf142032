/**
 * One SQLite connection with its compiled statements, reused: compiling SQL costs more than running the small
 * queries the service makes.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';

export class SqliteConnection {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(path: string, options: { busyTimeoutMs: number }) {
    this.db = new DatabaseSync(path, { timeout: options.busyTimeoutMs });
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      PRAGMA foreign_keys = ON;
      PRAGMA secure_delete = ON;
    `);
  }

  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

/** SQLITE_BUSY: another connection holds the lock this statement needs. */
export function isBusy(error: unknown): boolean {
  return (error as { errcode?: unknown } | null)?.errcode === 5;
}
