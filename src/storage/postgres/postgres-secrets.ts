/**
 * The secret repository on PostgreSQL, the statements of postgres-keys.ts over `secrets` and `secret_versions`.
 * One instance over the pool (committed reads; no cache) and one per unit over the unit's client.
 *
 * Races between nodes are settled as keys' are: addSecretVersion takes the secret row with `INSERT … ON CONFLICT
 * DO UPDATE … RETURNING` (insert-or-lock), so the "name is soft-deleted" answer rests on a row no delete,
 * recover or purge can change before the unit commits; updates name the row version; delete, recover and purge
 * are single conditional statements.
 */
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
  wholeSecretOf,
  withSecretDeletion,
  type SecretVersionRow,
} from '../secret-rows.ts';
import type { Sql, SqlValue } from './sql.ts';

const LATEST_VERSION = `v.seq = (SELECT MAX(seq) FROM secret_versions WHERE name_lc = s.name_lc)`;
const JOINED = 'secrets s JOIN secret_versions v ON v.name_lc = s.name_lc';

/** A page of secrets, then each one's latest version by a lateral lookup (as keys page, postgres-keys.ts). */
function pageOfSecretsSql(which: string): string {
  return `SELECT ${SECRET_META_COLUMNS}
    FROM (SELECT * FROM secrets s WHERE ${which} AND s.name_lc > $1 ORDER BY s.name_lc LIMIT $2) s
    CROSS JOIN LATERAL (SELECT * FROM secret_versions v WHERE v.name_lc = s.name_lc ORDER BY v.seq DESC LIMIT 1) v
    ORDER BY s.name_lc`;
}

export class PostgresSecrets implements SecretRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async addSecretVersion(record: SecretVersion): Promise<AddVersionOutcome> {
    const nameLc = record.name.toLowerCase();
    const [secret] = await this.#sql.rows<{ deleted_date: number | null }>(
      `INSERT INTO secrets (name_lc, name) VALUES ($1, $2)
       ON CONFLICT (name_lc) DO UPDATE SET name = secrets.name
       RETURNING deleted_date`,
      [nameLc, record.name],
    );
    if (secret?.deleted_date != null) return 'name-is-deleted';
    await this.#sql.count(
      `INSERT INTO secret_versions (name_lc, version, content_type, sealed_value, enabled, nbf, exp, created, updated, tags)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        nameLc,
        record.version.toLowerCase(),
        record.contentType ?? null,
        record.sealedValue,
        record.attributes.enabled,
        record.attributes.nbf ?? null,
        record.attributes.exp ?? null,
        record.attributes.created,
        record.attributes.updated,
        jsonOrNull(record.tags),
      ],
    );
    return 'added';
  }

  async getSecretVersion(name: string, version?: string): Promise<SecretVersion | undefined> {
    return this.#read(name.toLowerCase(), version?.toLowerCase());
  }

  async #read(nameLc: string, versionLc: string | undefined): Promise<SecretVersion | undefined> {
    const [row] = versionLc === undefined
      ? await this.#sql.rows<SecretVersionRow>(
          `SELECT ${SECRET_RECORD_COLUMNS} FROM ${JOINED} WHERE s.name_lc = $1 AND s.deleted_date IS NULL ORDER BY v.seq DESC LIMIT 1`,
          [nameLc],
        )
      : await this.#sql.rows<SecretVersionRow>(
          `SELECT ${SECRET_RECORD_COLUMNS} FROM ${JOINED} WHERE s.name_lc = $1 AND v.version = $2 AND s.deleted_date IS NULL`,
          [nameLc, versionLc],
        );
    return row && secretRecordFromRow(row);
  }

  async updateSecretVersion(name: string, version: string, expectedRowVersion: number, patch: SecretVersionPatch): Promise<SecretVersion | undefined> {
    const nameLc = name.toLowerCase();
    const versionLc = version.toLowerCase();
    const values: SqlValue[] = [nameLc, versionLc, expectedRowVersion, patch.updated];
    const assignments: string[] = ['updated = $4', 'row_version = row_version + 1'];
    const set = (column: string, value: SqlValue | undefined): void => {
      if (value === undefined) return;
      values.push(value);
      assignments.push(`${column} = $${values.length}`);
    };
    set('enabled', patch.enabled);
    set('nbf', patch.nbf);
    set('exp', patch.exp);
    set('content_type', patch.contentType);
    set('tags', patch.tags && JSON.stringify(patch.tags));
    const changed = await this.#sql.count(
      `UPDATE secret_versions SET ${assignments.join(', ')}
       WHERE name_lc = $1 AND version = $2 AND row_version = $3
         AND name_lc IN (SELECT name_lc FROM secrets WHERE deleted_date IS NULL)`,
      values,
    );
    if (changed > 0) return this.#read(nameLc, versionLc);
    if ((await this.#read(nameLc, versionLc)) === undefined) return undefined;
    throw new ConcurrentChangeError(`secret ${name}/${version}`);
  }

  async listSecrets(page: PageRequest): Promise<Page<SecretVersionMeta>> {
    const rows = await this.#sql.rows<SecretVersionRow>(pageOfSecretsSql('s.deleted_date IS NULL'), [page.after ?? '', page.limit + 1]);
    return pageOf(rows, page.limit, secretMetaFromRow, (row) => row.name.toLowerCase());
  }

  async listSecretVersions(name: string, page: PageRequest): Promise<Page<SecretVersionMeta> | undefined> {
    const nameLc = name.toLowerCase();
    if ((await this.#sql.count('SELECT 1 FROM secrets WHERE name_lc = $1 AND deleted_date IS NULL', [nameLc])) === 0) return undefined;
    const after = Math.max(Math.floor(Number(page.after ?? 0)), 0);
    if (!Number.isSafeInteger(after)) return { items: [] };
    const rows = await this.#sql.rows<SecretVersionRow>(
      `SELECT ${SECRET_META_COLUMNS} FROM ${JOINED} WHERE s.name_lc = $1 AND v.seq > $2 ORDER BY v.seq LIMIT $3`,
      [nameLc, after, page.limit + 1],
    );
    return pageOf(rows, page.limit, secretMetaFromRow, (row) => String(row.seq));
  }

  async deleteSecret(name: string, deletion: DeletionInfo): Promise<Deleted<SecretVersion> | undefined> {
    const changed = await this.#sql.count(
      'UPDATE secrets SET deleted_date = $1, scheduled_purge_date = $2 WHERE name_lc = $3 AND deleted_date IS NULL',
      [deletion.deletedDate, deletion.scheduledPurgeDate, name.toLowerCase()],
    );
    return changed === 0 ? undefined : this.getDeletedSecret(name);
  }

  async getDeletedSecret(name: string): Promise<Deleted<SecretVersion> | undefined> {
    const [row] = await this.#sql.rows<SecretVersionRow>(
      `SELECT ${SECRET_RECORD_COLUMNS} FROM ${JOINED} WHERE s.name_lc = $1 AND s.deleted_date IS NOT NULL AND ${LATEST_VERSION}`,
      [name.toLowerCase()],
    );
    return row && withSecretDeletion(row, secretRecordFromRow(row));
  }

  async listDeletedSecrets(page: PageRequest): Promise<Page<Deleted<SecretVersionMeta>>> {
    const rows = await this.#sql.rows<SecretVersionRow>(pageOfSecretsSql('s.deleted_date IS NOT NULL'), [page.after ?? '', page.limit + 1]);
    return pageOf(rows, page.limit, (row) => withSecretDeletion(row, secretMetaFromRow(row)), (row) => row.name.toLowerCase());
  }

  async getSecretWithVersions(name: string): Promise<WholeSecret | undefined> {
    const rows = await this.#sql.rows<SecretVersionRow>(
      `SELECT ${SECRET_RECORD_COLUMNS} FROM ${JOINED} WHERE s.name_lc = $1 ORDER BY v.seq`,
      [name.toLowerCase()],
    );
    return wholeSecretOf(rows);
  }

  async recoverDeletedSecret(name: string): Promise<SecretVersion | undefined> {
    const changed = await this.#sql.count(
      'UPDATE secrets SET deleted_date = NULL, scheduled_purge_date = NULL WHERE name_lc = $1 AND deleted_date IS NOT NULL',
      [name.toLowerCase()],
    );
    return changed === 0 ? undefined : this.getSecretVersion(name);
  }

  async purgeDeletedSecret(name: string): Promise<boolean> {
    return (await this.#sql.count('DELETE FROM secrets WHERE name_lc = $1 AND deleted_date IS NOT NULL', [name.toLowerCase()])) > 0;
  }

  async purgeExpiredSecrets(now: IntDate): Promise<string[]> {
    const rows = await this.#sql.rows<{ name: string }>(
      `WITH purged AS (
         DELETE FROM secrets WHERE deleted_date IS NOT NULL AND scheduled_purge_date <= $1 RETURNING name, name_lc
       )
       SELECT name FROM purged ORDER BY name_lc`,
      [now],
    );
    return rows.map((row) => row.name);
  }
}
