/**
 * The key repository on PostgreSQL, the same statements as SQLite's where the dialects agree. One instance over
 * the pool (the store's reader, with the key cache) and one per unit of work over the unit's client (inside its
 * READ COMMITTED transaction), which reports every key it changes so that the unit can notify and invalidate.
 *
 * Races between nodes, statement by statement:
 * - addKeyVersion takes the key row with `INSERT … ON CONFLICT DO UPDATE … RETURNING` (insert-or-lock in one
 *   step), so the "name is soft-deleted" answer and the new version rest on a row no delete, recover or purge
 *   can change before this unit commits.
 * - updateKeyVersion names the row version; PostgreSQL re-checks the WHERE on the latest committed row after
 *   waiting for a concurrent writer, so the loser changes nothing and gets ConcurrentChangeError.
 * - delete, recover and purge are single conditional statements on the key row: of two racing, the second
 *   sees the first's outcome.
 * - addKeyVersion with object limits first takes a transaction-level advisory lock that every checked addition
 *   takes, so the counts it reads (READ COMMITTED: each statement sees what committed before it) and its insert
 *   form one step: of two units racing for the last free key, the second counts the first's key.
 */
import type { Deleted, DeletionInfo, KeyVersion, KeyVersionMeta, KeyVersionPatch } from '../../domain/keys/key-model.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { ConcurrentChangeError } from '../store-errors.ts';
import type { AddVersionOutcome, KeyObjectLimits, KeyRepository, LimitRefusal, Page, PageRequest, WholeKey } from '../store.ts';
import { familyCounts, keyLimitRefusal } from '../object-limit-check.ts';
import type { KeyCache } from './key-cache.ts';
import { deepFreeze, jsonOrNull, pageOf } from '../record-helpers.ts';
import { META_COLUMNS, metaFromRow, RECORD_COLUMNS, recordFromRow, wholeKeyOf, withDeletion, type KeyVersionRow } from '../key-rows.ts';
import type { Sql, SqlValue } from './sql.ts';

/** The advisory lock key of checked key additions ("srobjlim" in ASCII), the same on every node. */
const OBJECT_LIMITS_LOCK = '8318833930189695341';

const LATEST_VERSION = `v.seq = (SELECT MAX(seq) FROM key_versions WHERE name_lc = k.name_lc)`;

/**
 * One page of keys with their latest versions: the page of key rows first (an index walk in name order that
 * stops at the limit), then each key's latest version by a lateral lookup. Joining first and filtering on the
 * latest version made PostgreSQL read every key after the position (4 s a page at 1 M keys).
 */
function pageOfKeysSql(which: string): string {
  return `SELECT ${META_COLUMNS}
    FROM (SELECT * FROM keys k WHERE ${which} AND k.name_lc > $1 ORDER BY k.name_lc LIMIT $2) k
    CROSS JOIN LATERAL (SELECT * FROM key_versions v WHERE v.name_lc = k.name_lc ORDER BY v.seq DESC LIMIT 1) v
    ORDER BY k.name_lc`;
}

export interface PostgresKeysOptions {
  cache?: KeyCache<KeyVersion> | undefined;
  /** Told the lower-cased name of every key a statement changed (or may have changed). */
  onWrite?: ((nameLc: string) => void) | undefined;
}

export class PostgresKeys implements KeyRepository {
  readonly #sql: Sql;
  readonly #cache: KeyCache<KeyVersion> | undefined;
  readonly #onWrite: (nameLc: string) => void;

  constructor(sql: Sql, options: PostgresKeysOptions = {}) {
    this.#sql = sql;
    this.#cache = options.cache;
    this.#onWrite = options.onWrite ?? (() => {});
  }

  async addKeyVersion(record: KeyVersion, limits?: KeyObjectLimits): Promise<AddVersionOutcome | LimitRefusal> {
    const nameLc = record.name.toLowerCase();
    if (limits !== undefined) {
      const refusal = await this.#limitRefusal(nameLc, record.family, limits);
      if (refusal !== undefined) return refusal;
    }
    // Creates the key row, or locks the existing one until commit; `name = keys.name` keeps the first spelling.
    const [key] = await this.#sql.rows<{ deleted_date: number | null }>(
      `INSERT INTO keys (name_lc, name) VALUES ($1, $2)
       ON CONFLICT (name_lc) DO UPDATE SET name = keys.name
       RETURNING deleted_date`,
      [nameLc, record.name],
    );
    if (key?.deleted_date != null) return 'name-is-deleted';
    this.#onWrite(nameLc);
    await this.#sql.count(
      `INSERT INTO key_versions (name_lc, version, family, key_size, curve, key_ops, public_jwk, sealed_material,
         enabled, nbf, exp, exportable, created, updated, tags, release_policy, origin, trusted, wrap_with_trusted)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
      [
        nameLc,
        record.version,
        record.family,
        record.keySize ?? null,
        record.curve ?? null,
        JSON.stringify(record.keyOps),
        JSON.stringify(record.publicJwk),
        record.sealedMaterial,
        record.attributes.enabled,
        record.attributes.nbf ?? null,
        record.attributes.exp ?? null,
        record.attributes.exportable,
        record.attributes.created,
        record.attributes.updated,
        jsonOrNull(record.tags),
        jsonOrNull(record.releasePolicy),
        record.origin ?? null,
        record.attributes.trusted === true,
        record.attributes.wrapWithTrusted !== false,
      ],
    );
    return 'added';
  }

  /** Under the lock (held until the unit ends): would this addition exceed a limit? A deleted name is left to the insert. */
  async #limitRefusal(nameLc: string, family: string, limits: KeyObjectLimits): Promise<LimitRefusal | undefined> {
    await this.#sql.rows('SELECT pg_advisory_xact_lock($1)', [OBJECT_LIMITS_LOCK]);
    const [counts] = await this.#sql.rows<{ exists: boolean; keys: string; versions: string }>(
      `SELECT EXISTS (SELECT 1 FROM keys WHERE name_lc = $1) AS exists, (SELECT count(*) FROM keys) AS keys,
         (SELECT count(*) FROM key_versions WHERE name_lc = $1) AS versions`,
      [nameLc],
    );
    const byFamily = limits.maxHandles === undefined
      ? {}
      : familyCounts(await this.#sql.rows<{ family: string; n: string }>('SELECT family, count(*) AS n FROM key_versions GROUP BY family'));
    return keyLimitRefusal(limits, family, {
      keyExists: counts?.exists === true,
      keys: () => Number(counts?.keys ?? 0),
      versionsOfKey: () => Number(counts?.versions ?? 0),
      versionsByFamily: () => byFamily,
    });
  }

  async getKeyVersion(name: string, version?: string): Promise<KeyVersion | undefined> {
    const nameLc = name.toLowerCase();
    const versionLc = version?.toLowerCase();
    // Every key operation starts here; the cache spares it the round trip while nothing changed.
    if (this.#cache === undefined) return this.#readKeyVersion(nameLc, versionLc);
    return this.#cache.get(nameLc, versionLc ?? '', () => this.#readKeyVersion(nameLc, versionLc));
  }

  async #readKeyVersion(nameLc: string, versionLc: string | undefined): Promise<KeyVersion | undefined> {
    const [row] =
      versionLc === undefined
        ? await this.#sql.rows<KeyVersionRow>(
            `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
             WHERE k.name_lc = $1 AND k.deleted_date IS NULL ORDER BY v.seq DESC LIMIT 1`,
            [nameLc],
          )
        : await this.#sql.rows<KeyVersionRow>(
            `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
             WHERE k.name_lc = $1 AND v.version = $2 AND k.deleted_date IS NULL`,
            [nameLc, versionLc],
          );
    return row && deepFreeze(recordFromRow(row));
  }

  async updateKeyVersion(
    name: string,
    version: string,
    expectedRowVersion: number,
    patch: KeyVersionPatch,
  ): Promise<KeyVersion | undefined> {
    const nameLc = name.toLowerCase();
    const versionLc = version.toLowerCase();
    const values: SqlValue[] = [nameLc, versionLc, expectedRowVersion, patch.updated];
    const assignments: string[] = ['updated = $4', 'row_version = row_version + 1'];
    const set = (column: string, value: SqlValue | undefined): void => {
      if (value === undefined) return;
      values.push(value);
      assignments.push(`${column} = $${values.length}`);
    };
    set('key_ops', patch.keyOps && JSON.stringify(patch.keyOps));
    set('enabled', patch.enabled);
    set('nbf', patch.nbf);
    set('exp', patch.exp);
    set('exportable', patch.exportable);
    set('trusted', patch.trusted);
    set('wrap_with_trusted', patch.wrapWithTrusted);
    set('tags', patch.tags && JSON.stringify(patch.tags));
    set('release_policy', patch.releasePolicy && JSON.stringify(patch.releasePolicy));
    const changed = await this.#sql.count(
      `UPDATE key_versions SET ${assignments.join(', ')}
       WHERE name_lc = $1 AND version = $2 AND row_version = $3
         AND name_lc IN (SELECT name_lc FROM keys WHERE deleted_date IS NULL)`,
      values,
    );
    if (changed > 0) {
      this.#onWrite(nameLc);
      return this.#readKeyVersion(nameLc, versionLc);
    }
    if ((await this.#readKeyVersion(nameLc, versionLc)) === undefined) return undefined;
    throw new ConcurrentChangeError(`key ${name}/${version}`);
  }

  async listKeys(page: PageRequest): Promise<Page<KeyVersionMeta>> {
    const rows = await this.#sql.rows<KeyVersionRow>(pageOfKeysSql('k.deleted_date IS NULL'), [page.after ?? '', page.limit + 1]);
    return pageOf(rows, page.limit, metaFromRow, (row) => row.name.toLowerCase());
  }

  async listKeyVersions(name: string, page: PageRequest): Promise<Page<KeyVersionMeta> | undefined> {
    const nameLc = name.toLowerCase();
    const exists = await this.#sql.count('SELECT 1 FROM keys WHERE name_lc = $1 AND deleted_date IS NULL', [nameLc]);
    if (exists === 0) return undefined;
    const after = seqPosition(page.after);
    if (after === undefined) return { items: [] };
    const rows = await this.#sql.rows<KeyVersionRow>(
      `SELECT ${META_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
       WHERE k.name_lc = $1 AND v.seq > $2 ORDER BY v.seq LIMIT $3`,
      [nameLc, after, page.limit + 1],
    );
    return pageOf(rows, page.limit, metaFromRow, (row) => String(row.seq));
  }

  async deleteKey(name: string, deletion: DeletionInfo): Promise<Deleted<KeyVersion> | undefined> {
    const nameLc = name.toLowerCase();
    const changed = await this.#sql.count(
      'UPDATE keys SET deleted_date = $1, scheduled_purge_date = $2 WHERE name_lc = $3 AND deleted_date IS NULL',
      [deletion.deletedDate, deletion.scheduledPurgeDate, nameLc],
    );
    if (changed === 0) return undefined;
    this.#onWrite(nameLc);
    return this.getDeletedKey(name);
  }

  async getDeletedKey(name: string): Promise<Deleted<KeyVersion> | undefined> {
    const [row] = await this.#sql.rows<KeyVersionRow>(
      `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc
       WHERE k.name_lc = $1 AND k.deleted_date IS NOT NULL AND ${LATEST_VERSION}`,
      [name.toLowerCase()],
    );
    return row && withDeletion(row, recordFromRow(row));
  }

  async getKeyWithVersions(name: string): Promise<WholeKey | undefined> {
    const rows = await this.#sql.rows<KeyVersionRow>(
      `SELECT ${RECORD_COLUMNS} FROM keys k JOIN key_versions v ON v.name_lc = k.name_lc WHERE k.name_lc = $1 ORDER BY v.seq`,
      [name.toLowerCase()],
    );
    return wholeKeyOf(rows);
  }

  async listDeletedKeys(page: PageRequest): Promise<Page<Deleted<KeyVersionMeta>>> {
    const rows = await this.#sql.rows<KeyVersionRow>(pageOfKeysSql('k.deleted_date IS NOT NULL'), [page.after ?? '', page.limit + 1]);
    return pageOf(rows, page.limit, (row) => withDeletion(row, metaFromRow(row)), (row) => row.name.toLowerCase());
  }

  async recoverDeletedKey(name: string): Promise<KeyVersion | undefined> {
    const nameLc = name.toLowerCase();
    const changed = await this.#sql.count(
      'UPDATE keys SET deleted_date = NULL, scheduled_purge_date = NULL WHERE name_lc = $1 AND deleted_date IS NOT NULL',
      [nameLc],
    );
    if (changed === 0) return undefined;
    this.#onWrite(nameLc);
    return this.getKeyVersion(name);
  }

  async purgeDeletedKey(name: string): Promise<boolean> {
    const nameLc = name.toLowerCase();
    const changed = await this.#sql.count('DELETE FROM keys WHERE name_lc = $1 AND deleted_date IS NOT NULL', [nameLc]);
    if (changed > 0) this.#onWrite(nameLc);
    return changed > 0;
  }

  async purgeExpiredKeys(now: IntDate): Promise<string[]> {
    const rows = await this.#sql.rows<{ name: string; name_lc: string }>(
      `WITH purged AS (
         DELETE FROM keys WHERE deleted_date IS NOT NULL AND scheduled_purge_date <= $1 RETURNING name, name_lc
       )
       SELECT name, name_lc FROM purged ORDER BY name_lc`,
      [now],
    );
    for (const row of rows) this.#onWrite(row.name_lc);
    return rows.map((row) => row.name);
  }
}

/** The opaque position of a version listing: the seq as a decimal string; anything else lists nothing. */
function seqPosition(after: string | undefined): number | undefined {
  if (after === undefined) return 0;
  const seq = Math.floor(Number(after));
  if (Number.isNaN(seq) || seq > Number.MAX_SAFE_INTEGER) return undefined;
  return Math.max(seq, 0);
}
