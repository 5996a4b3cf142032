/**
 * `secret_versions` rows (joined with `secrets`) and the domain's secret records, for both databases: the
 * columns they select and the conversion of a decoded row (PostgreSQL's driver decodes types itself; SQLite's
 * rows are decoded first, `sqliteSecretRow`). Listings never select the sealed value.
 */
import type { Deleted, SecretVersion, SecretVersionMeta, WholeSecret } from '../domain/secrets/secret-model.ts';

export interface SecretVersionRow {
  seq: number;
  name: string;
  version: string;
  content_type: string | null;
  enabled: boolean;
  nbf: number | null;
  exp: number | null;
  created: number;
  updated: number;
  tags: Record<string, string> | null;
  deleted_date: number | null;
  scheduled_purge_date: number | null;
  row_version: number;
  sealed_value?: Buffer;
}

export const SECRET_META_COLUMNS = `s.name, v.version, v.content_type, v.enabled, v.nbf, v.exp, v.created, v.updated, v.tags,
  s.deleted_date, s.scheduled_purge_date, v.seq, v.row_version`;
export const SECRET_RECORD_COLUMNS = `${SECRET_META_COLUMNS}, v.sealed_value`;

export function secretMetaFromRow(row: SecretVersionRow): SecretVersionMeta {
  return {
    name: row.name,
    version: row.version,
    contentType: row.content_type ?? undefined,
    attributes: {
      enabled: row.enabled,
      nbf: row.nbf ?? undefined,
      exp: row.exp ?? undefined,
      created: row.created,
      updated: row.updated,
    },
    tags: row.tags ?? undefined,
  };
}

export function secretRecordFromRow(row: SecretVersionRow): SecretVersion {
  if (row.sealed_value === undefined) throw new TypeError('secretRecordFromRow needs a row selected with the record columns');
  return { ...secretMetaFromRow(row), sealedValue: row.sealed_value, rowVersion: row.row_version };
}

export function withSecretDeletion<T>(row: Pick<SecretVersionRow, 'deleted_date' | 'scheduled_purge_date'>, value: T): Deleted<T> {
  return { ...value, deletion: { deletedDate: row.deleted_date ?? 0, scheduledPurgeDate: row.scheduled_purge_date ?? 0 } };
}

/** One secret's version rows (oldest first) as the secret they make up; undefined when there are none. */
export function wholeSecretOf(rows: SecretVersionRow[]): WholeSecret | undefined {
  const first = rows[0];
  if (first === undefined) return undefined;
  const versions = rows.map(secretRecordFromRow);
  return first.deleted_date === null
    ? { name: first.name, versions }
    : { name: first.name, versions, deletion: { deletedDate: first.deleted_date, scheduledPurgeDate: first.scheduled_purge_date ?? 0 } };
}

/** A row as SQLite returns it (flags 0/1, JSON as text, blobs as Uint8Array). */
export interface SqliteSecretVersionRow extends Omit<SecretVersionRow, 'enabled' | 'tags' | 'sealed_value'> {
  enabled: number;
  tags: string | null;
  sealed_value?: Uint8Array;
}

export function sqliteSecretRow(row: SqliteSecretVersionRow): SecretVersionRow {
  return {
    ...row,
    enabled: row.enabled === 1,
    tags: row.tags === null ? null : (JSON.parse(row.tags) as Record<string, string>),
    sealed_value: row.sealed_value === undefined ? undefined : Buffer.from(row.sealed_value),
  };
}
