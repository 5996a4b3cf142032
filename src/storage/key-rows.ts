/**
 * `key_versions` rows (joined with `keys`) and the domain's key records, for every backend: the columns both
 * select, and the conversion of a decoded row. PostgreSQL's driver decodes the column types itself (`json` as
 * values, `boolean`, `bytea` as a Buffer, `bigint` as a number: the pool's own int8 parser); SQLite's rows are
 * decoded first (`sqlite/rows.ts`).
 */
import type { CurveName, KeyFamily, PublicJwk } from '../crypto/key-material.ts';
import type { Deleted, KeyOrigin, KeyVersion, KeyVersionMeta, ReleasePolicy } from '../domain/keys/key-model.ts';
import type { WholeKey } from './store.ts';

export interface KeyVersionRow {
  seq: number;
  name: string;
  version: string;
  family: string;
  key_size: number | null;
  curve: string | null;
  key_ops: string[];
  enabled: boolean;
  nbf: number | null;
  exp: number | null;
  exportable: boolean;
  trusted: boolean;
  wrap_with_trusted: boolean;
  created: number;
  updated: number;
  tags: Record<string, string> | null;
  release_policy: ReleasePolicy | null;
  origin: string | null;
  deleted_date: number | null;
  scheduled_purge_date: number | null;
  row_version: number;
  public_jwk?: PublicJwk;
  sealed_material?: Buffer;
}

export const META_COLUMNS = `k.name, v.version, v.family, v.key_size, v.curve, v.key_ops, v.enabled, v.nbf, v.exp,
  v.exportable, v.created, v.updated, v.tags, v.release_policy, k.deleted_date, k.scheduled_purge_date, v.seq,
  v.row_version, v.origin, v.trusted, v.wrap_with_trusted`;
export const RECORD_COLUMNS = `${META_COLUMNS}, v.public_jwk, v.sealed_material`;

export function metaFromRow(row: KeyVersionRow): KeyVersionMeta {
  return {
    name: row.name,
    version: row.version,
    family: row.family as KeyFamily,
    keySize: row.key_size ?? undefined,
    curve: (row.curve ?? undefined) as CurveName | undefined,
    keyOps: row.key_ops,
    attributes: {
      enabled: row.enabled,
      nbf: row.nbf ?? undefined,
      exp: row.exp ?? undefined,
      exportable: row.exportable,
      trusted: row.trusted,
      wrapWithTrusted: row.wrap_with_trusted,
      created: row.created,
      updated: row.updated,
    },
    tags: row.tags ?? undefined,
    releasePolicy: row.release_policy ?? undefined,
    origin: (row.origin ?? undefined) as KeyOrigin | undefined,
  };
}

export function recordFromRow(row: KeyVersionRow): KeyVersion {
  if (row.public_jwk === undefined || row.sealed_material === undefined) {
    throw new TypeError('recordFromRow needs a row selected with the record columns');
  }
  return { ...metaFromRow(row), publicJwk: row.public_jwk, sealedMaterial: row.sealed_material, rowVersion: row.row_version };
}

export function withDeletion<T>(row: Pick<KeyVersionRow, 'deleted_date' | 'scheduled_purge_date'>, value: T): Deleted<T> {
  return { ...value, deletion: { deletedDate: row.deleted_date ?? 0, scheduledPurgeDate: row.scheduled_purge_date ?? 0 } };
}

/** The rows of one key's versions (oldest first) as the key they make up; undefined when there are none. */
export function wholeKeyOf(rows: KeyVersionRow[]): WholeKey | undefined {
  const first = rows[0];
  if (first === undefined) return undefined;
  const versions = rows.map(recordFromRow);
  return first.deleted_date === null
    ? { name: first.name, versions }
    : { name: first.name, versions, deletion: { deletedDate: first.deleted_date, scheduledPurgeDate: first.scheduled_purge_date ?? 0 } };
}
