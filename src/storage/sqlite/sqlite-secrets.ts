/**
 * The secret repository on SQLite, the statements of sqlite-keys.ts over the `secrets` and `secret_versions`
 * tables. One instance on the read connection (no cache: values are read rarely and opened per read) and one on
 * the write connection, inside the store's units of work (which hold `BEGIN IMMEDIATE`).
 */
import type { SQLInputValue } from 'node:sqlite';
import type { Deleted, DeletionInfo, SecretVersion, SecretVersionMeta, SecretVersionPatch, WholeSecret } from '../../domain/secrets/secret-model.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { ConcurrentChangeError } from '../store-errors.ts';
import type { AddVersionOutcome, Page, PageRequest, SecretRepository } from '../store.ts';
import { jsonOrNull, pageOf } from '../record-helpers.ts';
import {
  SECRET_META_COLUMNS,
  SECRET_RECORD_COLUMNS,
  secretMetaFromRow,
  secretRecordFromRow,
  sqliteSecretRow,
  wholeSecretOf,
  withSecretDeletion,
  type SqliteSecretVersionRow,
} from '../secret-rows.ts';
import type { SqliteConnection } from './connection.ts';

const LATEST_VERSION = `v.seq = (SELECT MAX(seq) FROM secret_versions WHERE name_lc = s.name_lc)`;
const JOINED = 'secrets s JOIN secret_versions v ON v.name_lc = s.name_lc';

export class SqliteSecrets implements SecretRepository {
  readonly #connection: SqliteConnection;
  readonly #onPurge: () => void;

  /** `onPurge` is told whenever sealed values were deleted, so that the store checkpoints them out of the WAL. */
  constructor(connection: SqliteConnection, options: { onPurge?: () => void } = {}) {
    this.#connection = connection;
    this.#onPurge = options.onPurge ?? (() => {});
  }

  async addSecretVersion(record: SecretVersion): Promise<AddVersionOutcome> {
    const nameLc = record.name.toLowerCase();
    const secret = this.#sql('SELECT deleted_date FROM secrets WHERE name_lc = ?').get(nameLc) as { deleted_date: number | null } | undefined;
    if (secret?.deleted_date != null) return 'name-is-deleted';
    if (secret === undefined) this.#sql('INSERT INTO secrets (name_lc, name) VALUES (?, ?)').run(nameLc, record.name);
    this.#sql(
      `INSERT INTO secret_versions (name_lc, version, content_type, sealed_value, enabled, nbf, exp, created, updated, tags)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      nameLc,
      record.version.toLowerCase(),
      record.contentType ?? null,
      record.sealedValue,
      record.attributes.enabled ? 1 : 0,
      record.attributes.nbf ?? null,
      record.attributes.exp ?? null,
      record.attributes.created,
      record.attributes.updated,
      jsonOrNull(record.tags),
    );
    return 'added';
  }

  async getSecretVersion(name: string, version?: string): Promise<SecretVersion | undefined> {
    return this.#read(name.toLowerCase(), version?.toLowerCase());
  }

  #read(nameLc: string, versionLc: string | undefined): SecretVersion | undefined {
    const row = (
      versionLc === undefined
        ? this.#sql(`SELECT ${SECRET_RECORD_COLUMNS} FROM ${JOINED} WHERE s.name_lc = ? AND s.deleted_date IS NULL ORDER BY v.seq DESC LIMIT 1`).get(nameLc)
        : this.#sql(`SELECT ${SECRET_RECORD_COLUMNS} FROM ${JOINED} WHERE s.name_lc = ? AND v.version = ? AND s.deleted_date IS NULL`).get(nameLc, versionLc)
    ) as SqliteSecretVersionRow | undefined;
    return row && secretRecordFromRow(sqliteSecretRow(row));
  }

  async updateSecretVersion(name: string, version: string, expectedRowVersion: number, patch: SecretVersionPatch): Promise<SecretVersion | undefined> {
    const nameLc = name.toLowerCase();
    const versionLc = version.toLowerCase();
    const assignments: string[] = ['updated = :updated', 'row_version = row_version + 1'];
    const values: Record<string, SQLInputValue> = { updated: patch.updated, name_lc: nameLc, version: versionLc, expected: expectedRowVersion };
    const set = (column: string, value: SQLInputValue | undefined): void => {
      if (value === undefined) return;
      assignments.push(`${column} = :${column}`);
      values[column] = value;
    };
    set('enabled', patch.enabled === undefined ? undefined : Number(patch.enabled));
    set('nbf', patch.nbf);
    set('exp', patch.exp);
    set('content_type', patch.contentType);
    set('tags', patch.tags && JSON.stringify(patch.tags));
    const changed = this.#sql(
      `UPDATE secret_versions SET ${assignments.join(', ')}
       WHERE name_lc = :name_lc AND version = :version AND row_version = :expected
         AND EXISTS (SELECT 1 FROM secrets WHERE secrets.name_lc = :name_lc AND secrets.deleted_date IS NULL)`,
    ).run(values).changes;
    if (Number(changed) > 0) return this.#read(nameLc, versionLc);
    if (this.#read(nameLc, versionLc) === undefined) return undefined;
    throw new ConcurrentChangeError(`secret ${name}/${version}`);
  }

  async listSecrets(page: PageRequest): Promise<Page<SecretVersionMeta>> {
    return this.#pageOfSecrets('s.deleted_date IS NULL', page, (row) => secretMetaFromRow(row));
  }

  async listSecretVersions(name: string, page: PageRequest): Promise<Page<SecretVersionMeta> | undefined> {
    const nameLc = name.toLowerCase();
    if (this.#sql('SELECT 1 FROM secrets WHERE name_lc = ? AND deleted_date IS NULL').get(nameLc) === undefined) return undefined;
    const rows = (this.#sql(`SELECT ${SECRET_META_COLUMNS} FROM ${JOINED} WHERE s.name_lc = ? AND v.seq > ? ORDER BY v.seq LIMIT ?`)
      .all(nameLc, Number(page.after ?? 0), page.limit + 1) as unknown as SqliteSecretVersionRow[]).map(sqliteSecretRow);
    return pageOf(rows, page.limit, secretMetaFromRow, (row) => String(row.seq));
  }

  async deleteSecret(name: string, deletion: DeletionInfo): Promise<Deleted<SecretVersion> | undefined> {
    const changed = this.#sql('UPDATE secrets SET deleted_date = ?, scheduled_purge_date = ? WHERE name_lc = ? AND deleted_date IS NULL')
      .run(deletion.deletedDate, deletion.scheduledPurgeDate, name.toLowerCase()).changes;
    return Number(changed) === 0 ? undefined : this.getDeletedSecret(name);
  }

  async getDeletedSecret(name: string): Promise<Deleted<SecretVersion> | undefined> {
    const row = this.#sql(`SELECT ${SECRET_RECORD_COLUMNS} FROM ${JOINED} WHERE s.name_lc = ? AND s.deleted_date IS NOT NULL AND ${LATEST_VERSION}`)
      .get(name.toLowerCase()) as SqliteSecretVersionRow | undefined;
    if (row === undefined) return undefined;
    const decoded = sqliteSecretRow(row);
    return withSecretDeletion(decoded, secretRecordFromRow(decoded));
  }

  async listDeletedSecrets(page: PageRequest): Promise<Page<Deleted<SecretVersionMeta>>> {
    return this.#pageOfSecrets('s.deleted_date IS NOT NULL', page, (row) => withSecretDeletion(row, secretMetaFromRow(row)));
  }

  async getSecretWithVersions(name: string): Promise<WholeSecret | undefined> {
    const rows = this.#sql(`SELECT ${SECRET_RECORD_COLUMNS} FROM ${JOINED} WHERE s.name_lc = ? ORDER BY v.seq`)
      .all(name.toLowerCase()) as unknown as SqliteSecretVersionRow[];
    return wholeSecretOf(rows.map(sqliteSecretRow));
  }

  async recoverDeletedSecret(name: string): Promise<SecretVersion | undefined> {
    const changed = this.#sql('UPDATE secrets SET deleted_date = NULL, scheduled_purge_date = NULL WHERE name_lc = ? AND deleted_date IS NOT NULL')
      .run(name.toLowerCase()).changes;
    return Number(changed) === 0 ? undefined : this.getSecretVersion(name);
  }

  async purgeDeletedSecret(name: string): Promise<boolean> {
    const changed = Number(this.#sql('DELETE FROM secrets WHERE name_lc = ? AND deleted_date IS NOT NULL').run(name.toLowerCase()).changes);
    if (changed > 0) this.#onPurge();
    return changed > 0;
  }

  async purgeExpiredSecrets(now: IntDate): Promise<string[]> {
    const rows = this.#sql('SELECT name FROM secrets WHERE deleted_date IS NOT NULL AND scheduled_purge_date <= ? ORDER BY name_lc').all(now) as Array<{ name: string }>;
    this.#sql('DELETE FROM secrets WHERE deleted_date IS NOT NULL AND scheduled_purge_date <= ?').run(now);
    if (rows.length > 0) this.#onPurge();
    return rows.map((row) => row.name);
  }

  #pageOfSecrets<T>(which: string, page: PageRequest, map: (row: ReturnType<typeof sqliteSecretRow>) => T): Page<T> {
    const rows = (this.#sql(
      `SELECT ${SECRET_META_COLUMNS} FROM ${JOINED}
       WHERE ${which} AND ${LATEST_VERSION} AND s.name_lc > ? ORDER BY s.name_lc LIMIT ?`,
    ).all(page.after ?? '', page.limit + 1) as unknown as SqliteSecretVersionRow[]).map(sqliteSecretRow);
    return pageOf(rows, page.limit, map, (row) => row.name.toLowerCase());
  }

  #sql(sql: string) {
    return this.#connection.statement(sql);
  }
}
