/**
 * Seeding a store with many keys for the scale benchmark (`bench/scale.ts`), without the API: creating a
 * million keys over HTTPS would take far longer than measuring them.
 *
 * The records are realistic EC P-256 key versions as `key-lifecycle.ts` makes them (default key operations, a
 * public JWK of the right shape, fresh 128-bit version ids, no tags), except that the coordinates and the
 * 150-byte `sealedMaterial` are random bytes: the material does not open, which the measured reads never need.
 * Key names are `scale-key-0000000`, `scale-key-0000001`, … so that a load script can pick any of them at random
 * and their lower-cased order is their number order.
 *
 * Two ways in:
 * - `seedThroughStore`: `unit.keys.addKeyVersion` in units of work of `batch` keys, the repository's own
 *   statements (SQLite, and PostgreSQL for a first batch).
 * - `seedPostgresBulk`: per batch one `INSERT … SELECT FROM unnest(…)` into `keys` and one into `key_versions`,
 *   binding one array per column with exactly the values `PostgresKeys.addKeyVersion` binds (same columns, same
 *   conversions, versions in insertion order so `seq` grows as it would), and the `store_changes` bump each unit
 *   makes. Two round trips per batch instead of two per key.
 * `checkSeeded` reads sample keys back through the store's reader and compares them with what was written.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { KeyVersion } from '../src/domain/keys/key-model.ts';
import type { IntDate } from '../src/lib/intdate.ts';
import type { Store } from '../src/storage/store.ts';

export const NAME_PREFIX = 'scale-key-';
export const NAME_DIGITS = 7;
export const MAX_SEEDED_KEYS = 10 ** NAME_DIGITS;

const SEALED_BYTES = 150;
const RANDOM_PER_KEY = 16 + 32 + 32 + SEALED_BYTES;

/** The name of the `index`-th seeded key (zero-padded, so that names sort as numbers). */
export function seededName(index: number): string {
  return `${NAME_PREFIX}${String(index).padStart(NAME_DIGITS, '0')}`;
}

/** `count` new key versions named from `from` on. */
export function seededRecords(from: number, count: number, created: IntDate): KeyVersion[] {
  if (from + count > MAX_SEEDED_KEYS) throw new RangeError(`at most ${MAX_SEEDED_KEYS} seeded keys (${NAME_DIGITS}-digit names)`);
  const random = randomBytes(count * RANDOM_PER_KEY);
  const records: KeyVersion[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * RANDOM_PER_KEY;
    records[i] = {
      name: seededName(from + i),
      version: random.toString('hex', at, at + 16),
      family: 'EC',
      keySize: undefined,
      curve: 'P-256',
      keyOps: ['sign', 'verify'],
      publicJwk: { crv: 'P-256', x: random.toString('base64url', at + 16, at + 48), y: random.toString('base64url', at + 48, at + 80) },
      sealedMaterial: random.subarray(at + 80, at + RANDOM_PER_KEY),
      attributes: { enabled: true, nbf: undefined, exp: undefined, exportable: false, created, updated: created },
      tags: undefined,
      releasePolicy: undefined,
      rowVersion: 0,
    };
  }
  return records;
}

export interface SeedRange {
  /** Index of the first key to add. */
  from: number;
  count: number;
  /** Keys per unit of work (or per bulk statement). */
  batch: number;
  created: IntDate;
  /** Told after each batch: how many keys of the range are in so far. */
  onProgress?: ((done: number) => void) | undefined;
}

/** Keeps the first and the last record of the range, to read them back afterwards. */
export interface SeedOutcome {
  samples: KeyVersion[];
}

/** Through the repository: `addKeyVersion` for every key, `batch` keys per unit of work. */
export async function seedThroughStore(store: Store, range: SeedRange): Promise<SeedOutcome> {
  const samples: KeyVersion[] = [];
  for (let done = 0; done < range.count; ) {
    const records = seededRecords(range.from + done, Math.min(range.batch, range.count - done), range.created);
    await store.transaction(async (unit) => {
      for (const record of records) {
        if ((await unit.keys.addKeyVersion(record)) !== 'added') throw new Error(`seeding ${record.name}: the name is deleted`);
      }
    });
    keepSamples(samples, records, done === 0);
    done += records.length;
    range.onProgress?.(done);
  }
  return { samples };
}

const INSERT_KEYS = `INSERT INTO keys (name_lc, name) SELECT * FROM unnest($1::text[], $2::text[])`;
const INSERT_VERSIONS = `INSERT INTO key_versions (name_lc, version, family, key_size, curve, key_ops, public_jwk, sealed_material,
    enabled, nbf, exp, exportable, created, updated, tags, release_policy)
  SELECT name_lc, version, family, key_size, curve, key_ops::json, public_jwk::json, sealed_material,
    enabled, nbf, exp, exportable, created, updated, tags::json, release_policy::json
  FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::text[], $8::bytea[],
    $9::boolean[], $10::bigint[], $11::bigint[], $12::boolean[], $13::bigint[], $14::bigint[], $15::text[], $16::text[])
    WITH ORDINALITY AS u(name_lc, version, family, key_size, curve, key_ops, public_jwk, sealed_material,
      enabled, nbf, exp, exportable, created, updated, tags, release_policy, position)
  ORDER BY position`;
const BUMP_CHANGES = 'UPDATE store_changes SET counter = counter + 1';

/** The 16 column arrays of INSERT_VERSIONS: what `PostgresKeys.addKeyVersion` binds, one array per column. */
function versionColumns(records: readonly KeyVersion[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 16 }, () => new Array(records.length));
  records.forEach((record, i) => {
    const row = [
      record.name.toLowerCase(),
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
      record.tags === undefined ? null : JSON.stringify(record.tags),
      record.releasePolicy === undefined ? null : JSON.stringify(record.releasePolicy),
    ];
    row.forEach((value, column) => { (columns[column] as unknown[])[i] = value; });
  });
  return columns;
}

/**
 * Bulk insert on PostgreSQL, one transaction per batch on a connection of its own. The next batch is made while
 * the server inserts the current one. The names must be new (a seeded store holds only seeded keys).
 */
export async function seedPostgresBulk(url: string, range: SeedRange): Promise<SeedOutcome> {
  const client = new pg.Client({ connectionString: url, application_name: 'strongroom-bench-seed' });
  await client.connect();
  const samples: KeyVersion[] = [];
  try {
    const make = (done: number) =>
      done >= range.count ? undefined : seededRecords(range.from + done, Math.min(range.batch, range.count - done), range.created);
    let records = make(0);
    for (let done = 0; records !== undefined; ) {
      const batch = records;
      const names = batch.map((record) => record.name);
      const inserted = (async () => {
        await client.query('BEGIN');
        await client.query(INSERT_KEYS, [names.map((name) => name.toLowerCase()), names]);
        const result = await client.query(INSERT_VERSIONS, versionColumns(batch));
        if (result.rowCount !== batch.length) throw new Error(`bulk insert added ${result.rowCount} of ${batch.length} versions`);
        await client.query(BUMP_CHANGES);
        await client.query('COMMIT');
      })();
      keepSamples(samples, batch, done === 0);
      done += batch.length;
      records = make(done);
      await inserted;
      range.onProgress?.(done);
    }
  } finally {
    await client.end();
  }
  return { samples };
}

function keepSamples(samples: KeyVersion[], records: readonly KeyVersion[], first: boolean): void {
  if (first && records[0] !== undefined) samples[0] = records[0];
  const last = records.at(-1);
  if (last !== undefined) samples[1] = last;
}

/** Reads the samples back through the store's reader: they must be exactly the records that were written. */
export async function checkSeeded(store: Store, samples: readonly KeyVersion[]): Promise<void> {
  for (const sample of samples) {
    const read = await store.reader.keys.getKeyVersion(sample.name);
    if (read === undefined) throw new Error(`seeded key ${sample.name} is not in the store`);
    const { rowVersion: _written, sealedMaterial, ...expected } = sample;
    const { rowVersion, sealedMaterial: readMaterial, ...actual } = read;
    deepStrictEqual(JSON.parse(JSON.stringify(actual)), JSON.parse(JSON.stringify(expected)), `seeded key ${sample.name} reads back differently`);
    if (!Buffer.from(readMaterial).equals(sealedMaterial) || rowVersion !== 1) {
      throw new Error(`seeded key ${sample.name} reads back with other material or row version ${rowVersion}`);
    }
  }
}
