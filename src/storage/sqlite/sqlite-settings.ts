/** The instance's named settings on SQLite. */
import type { SettingsRepository } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

export class SqliteSettings implements SettingsRepository {
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  async getSetting(name: string): Promise<string | undefined> {
    const row = this.#connection.statement('SELECT value FROM settings WHERE name = ?').get(name) as { value: string } | undefined;
    return row?.value;
  }

  async putSettingIfAbsent(name: string, value: string): Promise<string> {
    this.#connection.statement('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, value);
    return (this.#connection.statement('SELECT value FROM settings WHERE name = ?').get(name) as { value: string }).value;
  }

  async replaceSetting(name: string, expected: string, value: string): Promise<boolean> {
    const changed = this.#connection.statement('UPDATE settings SET value = ? WHERE name = ? AND value = ?').run(value, name, expected).changes;
    return Number(changed) > 0;
  }

  async putSetting(name: string, value: string): Promise<void> {
    this.#connection
      .statement('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value')
      .run(name, value);
  }
}
