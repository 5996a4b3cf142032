/**
 * The key repository on SQLite. One instance per connection: on the read connection (with the change-aware
 * cache, answering only the reads) and on the write connection (inside the store's units of work, where the
 * store already holds `BEGIN IMMEDIATE`, so these statements run in the unit's transaction).
 */
import type { SQLInputValue } from 'node:sqlite';
import type { Deleted, DeletionInfo, KeyVersion, KeyVersionMeta, KeyVersionPatch } from '../../domain/keys/key-model.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { ConcurrentChangeError } from '../store-errors.ts';
import type { AddVersionOutcome, KeyObjectLimits, KeyRepository, LimitRefusal, Page, PageRequest, WholeKey } from '../store.ts';
import { familyCounts, keyLimitRefusal } from '../object-limit-check.ts';
import type { ChangeAwareCache } from '../change-aware-cache.ts';
import type { SqliteConnection } from './connection.ts';
import { deepFreeze, jsonOrNull, pageOf } from '../record-helpers.ts';
import { META_COLUMNS, metaFromRow, RECORD_COLUMNS, recordFromRow, wholeKeyFromRows, withDeletion, type KeyVersionRow } from './rows.ts';

const LATEST_VERSION = `v.seq = (SELECT MAX(seq) FROM key_versions WHERE name_lc = k.name_lc)`;

export class SqliteKeys implements KeyRepository {
  readonly #connection: SqliteConnection;
  readonly #cache: ChangeAwareCache<KeyVersion> | undefined;
  readonly #onPurge: () => void;
  readonly #onWrite: () => void;

  /**
   * `onPurge` is told whenever sealed material was deleted, so that the store can checkpoint it out of the WAL;
   * `onWrite` whenever a key may have changed, so that the store tells the node's other processes (the change
   * beacon) only after units that change what their caches hold.
   */
  constructor(connection: SqliteConnection, options: { cache?: ChangeAwareCache<KeyVersion>; onPurge?: () => void; onWrite?: () => void } = {}) {
    this.#connection = connection;
    this.#cache = options.cache;
    this.#onPurge = options.onPurge ?? (() => {});
    this.#onWrite = options.onWrite ?? (() => {});
  }

  async addKeyVersion(record: KeyVersion, limits?: KeyObjectLimits): Promise<AddVersionOutcome | LimitRefusal> {
    this.#onWrite();
    const nameLc = record.name.toLowerCase();
    const key = this.#sql('SELECT deleted_date FROM keys WHERE name_lc = ?').get(nameLc) as
      | { deleted_date: number | null }
      | undefined;
    if (key?.deleted_date != null) return 'name-is-deleted';
    // The store's units hold BEGIN IMMEDIATE: no other unit writes between this count and the insert.
    const refusal = limits && keyLimitRefusal(limits, record.family, {
      keyExists: key !== undefined,
      keys: () => Number((this.#sql('SELECT count(*) AS n FROM keys').get() as { n: number }).n),
      versionsOfKey: () => Number((this.#sql('SELECT count(*) AS n FROM key_versions WHERE name_lc = ?').get(nameLc) as { n: number }).n),
      versionsByFamily: () => familyCounts(this.#sql('SELECT family, count(*) AS n FROM key_versions GROUP BY family').all() as Array<{ family: string; n: number }>),
    });
    if (refusal) return refusal;
    if (key === undefined) this.#sql('INSERT INTO keys (name_lc, name) VALUES (?, ?)').run(nameLc, record.name);
    this.#sql(
      `INSERT INTO key_versions (name_lc, version, family, key_size, curve, key_ops, public_jwk, sealed_material,
         enabled, nbf, exp, exportable, created, updated, tags, release_policy, origin, trusted, wrap_with_trusted)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
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
      record.origin ?? null,
      record.attributes.trusted === true ? 1 : 0,
      record.attributes.wrapWithTrusted === false ? 0 : 1,
    );
    return 'added';
  }

  async getKeyVersion(name: string, version?: string): Promise<KeyVersion | undefined> {
    const nameLc = name.toLowerCase();
    const versionLc = version?.toLowerCase();
    // Every key operation starts here; the cache spares it the query while the database is unchanged.
    if (this.#cache === undefined) return this.#readKeyVersion(nameLc, versionLc);
    return this.#cache.get(`${nameLc}/${versionLc ?? ''}`, () => this.#readKeyVersion(nameLc, versionLc));
  }

  #readKeyVersion(nameLc: string, versionLc: string | undefined): KeyVersion | undefined {
    const row = (
      versionLc === undefined
        ? this.#sql(
            `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
             WHERE k.name_lc = ? AND k.deleted_date IS NULL ORDER BY v.seq DESC LIMIT 1`,
          ).get(nameLc)
        : this.#sql(
            `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
             WHERE k.name_lc = ? AND v.version = ? AND k.deleted_date IS NULL`,
          ).get(nameLc, versionLc)
    ) as KeyVersionRow | undefined;
    return row && deepFreeze(recordFromRow(row));
  }

  async updateKeyVersion(
    name: string,
    version: string,
    expectedRowVersion: number,
    patch: KeyVersionPatch,
  ): Promise<KeyVersion | undefined> {
    this.#onWrite();
    const assignments: string[] = ['updated = :updated', 'row_version = row_version + 1'];
    const values: Record<string, SQLInputValue> = {
      updated: patch.updated,
      name_lc: name.toLowerCase(),
      version: version.toLowerCase(),
      expected: expectedRowVersion,
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
    set('trusted', patch.trusted === undefined ? undefined : Number(patch.trusted));
    set('wrap_with_trusted', patch.wrapWithTrusted === undefined ? undefined : Number(patch.wrapWithTrusted));
    set('tags', patch.tags && JSON.stringify(patch.tags));
    set('release_policy', patch.releasePolicy && JSON.stringify(patch.releasePolicy));
    const changed = this.#sql(
      `UPDATE key_versions SET ${assignments.join(', ')}
       WHERE name_lc = :name_lc AND version = :version AND row_version = :expected
         AND EXISTS (SELECT 1 FROM keys WHERE keys.name_lc = :name_lc AND keys.deleted_date IS NULL)`,
    ).run(values).changes;
    if (Number(changed) > 0) return this.#readKeyVersion(name.toLowerCase(), version.toLowerCase());
    if (this.#readKeyVersion(name.toLowerCase(), version.toLowerCase()) === undefined) return undefined;
    throw new ConcurrentChangeError(`key ${name}/${version}`);
  }

  async listKeys(page: PageRequest): Promise<Page<KeyVersionMeta>> {
    const rows = this.#sql(
      `SELECT ${META_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
       WHERE k.deleted_date IS NULL AND ${LATEST_VERSION} AND k.name_lc > ?
       ORDER BY k.name_lc LIMIT ?`,
    ).all(page.after ?? '', page.limit + 1) as unknown as KeyVersionRow[];
    return pageOf(rows, page.limit, metaFromRow, (row) => row.name.toLowerCase());
  }

  async listKeyVersions(name: string, page: PageRequest): Promise<Page<KeyVersionMeta> | undefined> {
    const nameLc = name.toLowerCase();
    const exists = this.#sql('SELECT 1 FROM keys WHERE name_lc = ? AND deleted_date IS NULL').get(nameLc);
    if (exists === undefined) return undefined;
    const rows = this.#sql(
      `SELECT ${META_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
       WHERE k.name_lc = ? AND v.seq > ? ORDER BY v.seq LIMIT ?`,
    ).all(nameLc, Number(page.after ?? 0), page.limit + 1) as unknown as KeyVersionRow[];
    return pageOf(rows, page.limit, metaFromRow, (row) => String(row.seq));
  }

  async deleteKey(name: string, deletion: DeletionInfo): Promise<Deleted<KeyVersion> | undefined> {
    this.#onWrite();
    const changed = this.#sql(
      'UPDATE keys SET deleted_date = ?, scheduled_purge_date = ? WHERE name_lc = ? AND deleted_date IS NULL',
    ).run(deletion.deletedDate, deletion.scheduledPurgeDate, name.toLowerCase()).changes;
    return Number(changed) === 0 ? undefined : this.getDeletedKey(name);
  }

  async getDeletedKey(name: string): Promise<Deleted<KeyVersion> | undefined> {
    const row = this.#sql(
      `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
       WHERE k.name_lc = ? AND k.deleted_date IS NOT NULL AND ${LATEST_VERSION}`,
    ).get(name.toLowerCase()) as KeyVersionRow | undefined;
    return row && withDeletion(row, recordFromRow(row));
  }

  async getKeyWithVersions(name: string): Promise<WholeKey | undefined> {
    const rows = this.#sql(
      `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc WHERE k.name_lc = ? ORDER BY v.seq`,
    ).all(name.toLowerCase()) as unknown as KeyVersionRow[];
    return wholeKeyFromRows(rows);
  }

  async listDeletedKeys(page: PageRequest): Promise<Page<Deleted<KeyVersionMeta>>> {
    const rows = this.#sql(
      `SELECT ${META_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
       WHERE k.deleted_date IS NOT NULL AND ${LATEST_VERSION} AND k.name_lc > ?
       ORDER BY k.name_lc LIMIT ?`,
    ).all(page.after ?? '', page.limit + 1) as unknown as KeyVersionRow[];
    return pageOf(rows, page.limit, (row) => withDeletion(row, metaFromRow(row)), (row) => row.name.toLowerCase());
  }

  async recoverDeletedKey(name: string): Promise<KeyVersion | undefined> {
    this.#onWrite();
    const changed = this.#sql(
      `UPDATE keys SET deleted_date = NULL, scheduled_purge_date = NULL
       WHERE name_lc = ? AND deleted_date IS NOT NULL`,
    ).run(name.toLowerCase()).changes;
    return Number(changed) === 0 ? undefined : this.getKeyVersion(name);
  }

  async purgeDeletedKey(name: string): Promise<boolean> {
    this.#onWrite();
    const changed = this.#sql('DELETE FROM keys WHERE name_lc = ? AND deleted_date IS NOT NULL').run(name.toLowerCase()).changes;
    if (Number(changed) > 0) this.#onPurge();
    return Number(changed) > 0;
  }

  async purgeExpiredKeys(now: IntDate): Promise<string[]> {
    this.#onWrite();
    const rows = this.#sql('SELECT name FROM keys WHERE deleted_date IS NOT NULL AND scheduled_purge_date <= ?').all(now) as Array<{
      name: string;
    }>;
    this.#sql('DELETE FROM keys WHERE deleted_date IS NOT NULL AND scheduled_purge_date <= ?').run(now);
    if (rows.length > 0) this.#onPurge();
    return rows.map((row) => row.name);
  }

  #sql(sql: string) {
    return this.#connection.statement(sql);
  }
}
