/**
 * SQLite's `key_versions` rows as the driver returns them (JSON members as text, flags as 0/1, blobs as
 * Uint8Array), decoded into the rows every backend converts to records (`../key-rows.ts`).
 */
import type { PublicJwk } from '../../crypto/key-material.ts';
import type { KeyVersion, KeyVersionMeta, ReleasePolicy } from '../../domain/keys/key-model.ts';
import * as keyRows from '../key-rows.ts';

export { META_COLUMNS, RECORD_COLUMNS } from '../key-rows.ts';

export interface KeyVersionRow {
  seq: number;
  name: string;
  version: string;
  family: string;
  key_size: number | null;
  curve: string | null;
  key_ops: string;
  enabled: number;
  nbf: number | null;
  exp: number | null;
  exportable: number;
  trusted: number;
  wrap_with_trusted: number;
  created: number;
  updated: number;
  tags: string | null;
  release_policy: string | null;
  origin: string | null;
  deleted_date: number | null;
  scheduled_purge_date: number | null;
  row_version: number;
  public_jwk?: string;
  sealed_material?: Uint8Array;
}

function decoded(row: KeyVersionRow): keyRows.KeyVersionRow {
  return {
    ...row,
    key_ops: JSON.parse(row.key_ops) as string[],
    enabled: row.enabled === 1,
    exportable: row.exportable === 1,
    trusted: row.trusted === 1,
    wrap_with_trusted: row.wrap_with_trusted === 1,
    tags: row.tags === null ? null : (JSON.parse(row.tags) as Record<string, string>),
    release_policy: row.release_policy === null ? null : (JSON.parse(row.release_policy) as ReleasePolicy),
    public_jwk: row.public_jwk === undefined ? undefined : (JSON.parse(row.public_jwk) as PublicJwk),
    sealed_material: row.sealed_material === undefined ? undefined : Buffer.from(row.sealed_material),
  };
}

export const metaFromRow = (row: KeyVersionRow): KeyVersionMeta => keyRows.metaFromRow(decoded(row));
export const recordFromRow = (row: KeyVersionRow): KeyVersion => keyRows.recordFromRow(decoded(row));
export const withDeletion = keyRows.withDeletion;
export const wholeKeyFromRows = (rows: KeyVersionRow[]) => keyRows.wholeKeyOf(rows.map(decoded));
