/**
 * The instance's named settings on PostgreSQL. `putSettingIfAbsent` is two statements on purpose: under READ
 * COMMITTED the second one's snapshot sees a value another node committed while the first waited for it.
 */
import type { SettingsRepository } from '../store.ts';
import type { Sql } from './sql.ts';

export class PostgresSettings implements SettingsRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async getSetting(name: string): Promise<string | undefined> {
    const [row] = await this.#sql.rows<{ value: string }>('SELECT value FROM settings WHERE name = $1', [name]);
    return row?.value;
  }

  async putSettingIfAbsent(name: string, value: string): Promise<string> {
    await this.#sql.count('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, value]);
    const stored = await this.getSetting(name);
    if (stored === undefined) throw new Error(`setting ${name} vanished while it was being stored`);
    return stored;
  }

  async replaceSetting(name: string, expected: string, value: string): Promise<boolean> {
    // READ COMMITTED re-checks the WHERE on the latest committed row after waiting for a concurrent writer.
    return (await this.#sql.count('UPDATE settings SET value = $3 WHERE name = $1 AND value = $2', [name, expected, value])) > 0;
  }

  async putSetting(name: string, value: string): Promise<void> {
    await this.#sql.count(
      'INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      [name, value],
    );
  }
}
