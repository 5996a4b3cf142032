/**
 * The embedded store: one SQLite file in WAL mode with full sync, through Node's built-in `node:sqlite`.
 *
 * Several processes (the cluster workers) open the same file; SQLite's file locks serialize writers, and every
 * write runs in a `BEGIN IMMEDIATE` transaction so that two writers never deadlock upgrading a read lock.
 * Freed pages are zeroed (`secure_delete`) so a purged key's sealed blob does not linger in the file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { IntDate } from '../../lib/intdate.ts';
import type {
  AddVersionOutcome,
  Deleted,
  DeletionInfo,
  KeyVersionMeta,
  KeyVersionPatch,
  KeyVersionRecord,
  Page,
  PageRequest,
  PrincipalRecord,
  Store,
} from '../store.ts';
import { sqliteMigrations } from './migrations.ts';
import { ChangeAwareCache } from './change-aware-cache.ts';
import { metaFromRow, recordFromRow, type KeyVersionRow } from './rows.ts';

const META_COLUMNS = `k.name, v.version, v.family, v.key_size, v.curve, v.key_ops, v.enabled, v.nbf, v.exp,
  v.exportable, v.created, v.updated, v.tags, v.release_policy, k.deleted_date, k.scheduled_purge_date, v.seq`;
const RECORD_COLUMNS = `${META_COLUMNS}, v.public_jwk, v.sealed_material`;
const LATEST_VERSION = `v.seq = (SELECT MAX(seq) FROM key_versions WHERE name_lc = k.name_lc)`;

export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  /** Compiled statements, reused: compiling SQL costs more than running these small queries. */
  readonly #statements = new Map<string, StatementSync>();
  readonly #keyVersions: ChangeAwareCache<KeyVersionRecord>;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path, { timeout: 10_000 });
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      PRAGMA foreign_keys = ON;
      PRAGMA secure_delete = ON;
    `);
    this.#keyVersions = new ChangeAwareCache(this.#db.prepare('PRAGMA data_version'));
  }

  /** Brings the schema up to date; run once by the process that owns start-up, before workers open the file. */
  migrate(): void {
    this.#db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)');
    this.#write(() => {
      const row = this.#statement('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
      for (let index = row.v ?? 0; index < sqliteMigrations.length; index++) {
        this.#db.exec(sqliteMigrations[index] ?? '');
        this.#statement('INSERT INTO schema_migrations (version, applied) VALUES (?, ?)').run(index + 1, Date.now());
      }
    });
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  // --- keys -------------------------------------------------------------------------------------------

  async addKeyVersion(record: KeyVersionRecord): Promise<AddVersionOutcome> {
    const nameLc = record.name.toLowerCase();
    return this.#write(() => {
      const key = this.#statement('SELECT deleted_date FROM keys WHERE name_lc = ?').get(nameLc) as
        | { deleted_date: number | null }
        | undefined;
      if (key?.deleted_date != null) return 'name-is-deleted';
      if (key === undefined) this.#statement('INSERT INTO keys (name_lc, name) VALUES (?, ?)').run(nameLc, record.name);
      this.#statement(
          `INSERT INTO key_versions (name_lc, version, family, key_size, curve, key_ops, public_jwk, sealed_material,
             enabled, nbf, exp, exportable, created, updated, tags, release_policy)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          nameLc,
          record.version,
          record.family,
          record.keySize ?? null,
          record.curve ?? null,
          JSON.stringify(record.keyOps),
          JSON.stringify(record.publicJwk),
          record.sealedMaterial,
          record.attributes.enabled ? 1 : 0,
          record.attributes.nbf ?? null,
          record.attributes.exp ?? null,
          record.attributes.exportable ? 1 : 0,
          record.attributes.created,
          record.attributes.updated,
          jsonOrNull(record.tags),
          jsonOrNull(record.releasePolicy),
        );
      return 'added';
    });
  }

  async getKeyVersion(name: string, version?: string): Promise<KeyVersionRecord | undefined> {
    // Every key operation starts here; the cache spares it the query while the database is unchanged.
    const nameLc = name.toLowerCase();
    const versionLc = version?.toLowerCase();
    return this.#keyVersions.get(`${nameLc}/${versionLc ?? ''}`, () => this.#readKeyVersion(nameLc, versionLc));
  }

  #readKeyVersion(nameLc: string, versionLc: string | undefined): KeyVersionRecord | undefined {
    const row = (
      versionLc === undefined
        ? this.#statement(
              `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
               WHERE k.name_lc = ? AND k.deleted_date IS NULL ORDER BY v.seq DESC LIMIT 1`,
            )
            .get(nameLc)
        : this.#statement(
              `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
               WHERE k.name_lc = ? AND v.version = ? AND k.deleted_date IS NULL`,
            )
            .get(nameLc, versionLc)
    ) as KeyVersionRow | undefined;
    return row && deepFreeze(recordFromRow(row));
  }

  async updateKeyVersion(name: string, version: string, patch: KeyVersionPatch): Promise<KeyVersionRecord | undefined> {
    const assignments: string[] = ['updated = :updated'];
    const values: Record<string, SQLInputValue> = {
      updated: patch.updated,
      name_lc: name.toLowerCase(),
      version: version.toLowerCase(),
    };
    const set = (column: string, value: SQLInputValue | undefined): void => {
      if (value === undefined) return;
      assignments.push(`${column} = :${column}`);
      values[column] = value;
    };
    set('key_ops', patch.keyOps && JSON.stringify(patch.keyOps));
    set('enabled', patch.enabled === undefined ? undefined : Number(patch.enabled));
    set('nbf', patch.nbf);
    set('exp', patch.exp);
    set('exportable', patch.exportable === undefined ? undefined : Number(patch.exportable));
    set('tags', patch.tags && JSON.stringify(patch.tags));
    set('release_policy', patch.releasePolicy && JSON.stringify(patch.releasePolicy));
    const changed = this.#write(
      () =>
        this.#statement(
            `UPDATE key_versions SET ${assignments.join(', ')}
             WHERE name_lc = :name_lc AND version = :version
               AND name_lc IN (SELECT name_lc FROM keys WHERE deleted_date IS NULL)`,
          )
          .run(values).changes,
    );
    return Number(changed) === 0 ? undefined : this.getKeyVersion(name, version);
  }

  async listKeys(page: PageRequest): Promise<Page<KeyVersionMeta>> {
    const rows = this.#statement(
        `SELECT ${META_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
         WHERE k.deleted_date IS NULL AND ${LATEST_VERSION} AND k.name_lc > ?
         ORDER BY k.name_lc LIMIT ?`,
      )
      .all(page.after ?? '', page.limit + 1) as unknown as KeyVersionRow[];
    return pageOf(rows, page.limit, metaFromRow, (row) => row.name.toLowerCase());
  }

  async listKeyVersions(name: string, page: PageRequest): Promise<Page<KeyVersionMeta> | undefined> {
    const nameLc = name.toLowerCase();
    const exists = this.#statement('SELECT 1 FROM keys WHERE name_lc = ? AND deleted_date IS NULL').get(nameLc);
    if (exists === undefined) return undefined;
    const rows = this.#statement(
        `SELECT ${META_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
         WHERE k.name_lc = ? AND v.seq > ? ORDER BY v.seq LIMIT ?`,
      )
      .all(nameLc, Number(page.after ?? 0), page.limit + 1) as unknown as KeyVersionRow[];
    return pageOf(rows, page.limit, metaFromRow, (row) => String(row.seq));
  }

  async deleteKey(name: string, deletion: DeletionInfo): Promise<Deleted<KeyVersionRecord> | undefined> {
    const changed = this.#write(
      () =>
        this.#statement(
            'UPDATE keys SET deleted_date = ?, scheduled_purge_date = ? WHERE name_lc = ? AND deleted_date IS NULL',
          )
          .run(deletion.deletedDate, deletion.scheduledPurgeDate, name.toLowerCase()).changes,
    );
    return Number(changed) === 0 ? undefined : this.getDeletedKey(name);
  }

  async getDeletedKey(name: string): Promise<Deleted<KeyVersionRecord> | undefined> {
    const row = this.#statement(
        `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
         WHERE k.name_lc = ? AND k.deleted_date IS NOT NULL AND ${LATEST_VERSION}`,
      )
      .get(name.toLowerCase()) as KeyVersionRow | undefined;
    return row && withDeletion(row, recordFromRow(row));
  }

  async listDeletedKeys(page: PageRequest): Promise<Page<Deleted<KeyVersionMeta>>> {
    const rows = this.#statement(
        `SELECT ${META_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
         WHERE k.deleted_date IS NOT NULL AND ${LATEST_VERSION} AND k.name_lc > ?
         ORDER BY k.name_lc LIMIT ?`,
      )
      .all(page.after ?? '', page.limit + 1) as unknown as KeyVersionRow[];
    return pageOf(rows, page.limit, (row) => withDeletion(row, metaFromRow(row)), (row) => row.name.toLowerCase());
  }

  async recoverDeletedKey(name: string): Promise<KeyVersionRecord | undefined> {
    const changed = this.#write(
      () =>
        this.#statement(
            `UPDATE keys SET deleted_date = NULL, scheduled_purge_date = NULL
             WHERE name_lc = ? AND deleted_date IS NOT NULL`,
          )
          .run(name.toLowerCase()).changes,
    );
    return Number(changed) === 0 ? undefined : this.getKeyVersion(name);
  }

  async purgeDeletedKey(name: string): Promise<boolean> {
    const changed = this.#write(
      () =>
        this.#statement('DELETE FROM keys WHERE name_lc = ? AND deleted_date IS NOT NULL').run(name.toLowerCase())
          .changes,
    );
    return Number(changed) > 0;
  }

  async purgeExpiredKeys(now: IntDate): Promise<string[]> {
    return this.#write(() => {
      const rows = this.#statement('SELECT name FROM keys WHERE deleted_date IS NOT NULL AND scheduled_purge_date <= ?')
        .all(now) as Array<{ name: string }>;
      this.#statement('DELETE FROM keys WHERE deleted_date IS NOT NULL AND scheduled_purge_date <= ?').run(now);
      return rows.map((row) => row.name);
    });
  }

  // --- principals and settings ------------------------------------------------------------------------

  async addPrincipal(principal: PrincipalRecord): Promise<void> {
    this.#write(() =>
      this.#statement('INSERT INTO principals (id, display_name, secret_hash, created) VALUES (?, ?, ?, ?)')
        .run(principal.id, principal.displayName, principal.secretHash, principal.created),
    );
  }

  async getPrincipal(id: string): Promise<PrincipalRecord | undefined> {
    const row = this.#statement('SELECT id, display_name, secret_hash, created FROM principals WHERE id = ?')
      .get(id) as { id: string; display_name: string; secret_hash: string; created: number } | undefined;
    return row && { id: row.id, displayName: row.display_name, secretHash: row.secret_hash, created: row.created };
  }

  async getSetting(name: string): Promise<string | undefined> {
    const row = this.#statement('SELECT value FROM settings WHERE name = ?').get(name) as { value: string } | undefined;
    return row?.value;
  }

  async putSettingIfAbsent(name: string, value: string): Promise<string> {
    return this.#write(() => {
      this.#statement('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, value);
      return (this.#statement('SELECT value FROM settings WHERE name = ?').get(name) as { value: string }).value;
    });
  }

  async putSetting(name: string, value: string): Promise<void> {
    this.#write(() =>
      this.#statement('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value')
        .run(name, value),
    );
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` in a write transaction; node:sqlite is synchronous, so no other request interleaves. */
  #write<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      this.#keyVersions.noteLocalWrite();
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}

function pageOf<T>(
  rows: KeyVersionRow[],
  limit: number,
  map: (row: KeyVersionRow) => T,
  position: (row: KeyVersionRow) => string,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return rows.length > limit && last !== undefined ? { items: items.map(map), next: position(last) } : { items: items.map(map) };
}

function withDeletion<T>(row: KeyVersionRow, value: T): Deleted<T> {
  return { ...value, deletion: { deletedDate: row.deleted_date ?? 0, scheduledPurgeDate: row.scheduled_purge_date ?? 0 } };
}

/** Cached records are shared between requests: nobody may change one. */
function deepFreeze<T extends object>(value: T): T {
  for (const member of Object.values(value)) {
    // Byte buffers cannot be frozen; the sealed material is only ever read.
    if (typeof member === 'object' && member !== null && !ArrayBuffer.isView(member)) deepFreeze(member);
  }
  return Object.freeze(value);
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
