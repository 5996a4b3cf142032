/**
 * Opens the configured store: the embedded SQLite file of the data directory, or a PostgreSQL database shared by
 * the nodes of a cluster (`--store postgres://…`), so start-up never names a concrete backend.
 *
 * Opening is a promise (PostgreSQL needs the network for its schema check or migration).
 */
import type { ChangeBeacon } from './change-beacon.ts';
import { redactedUrl } from './postgres/connection-config.ts';
import { PostgresStore } from './postgres/postgres-store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export interface SqliteLocation {
  backend: 'sqlite';
  path: string;
}

export interface PostgresLocation {
  backend: 'postgres';
  /** `postgres://user:password@host:port/database[?sslmode=…]`; PGHOST, PGUSER… fill what it leaves out. */
  url: string;
  /** Pooled connections per process (default 10). */
  maxConnections?: number | undefined;
}

export type StoreLocation = SqliteLocation | PostgresLocation;

export interface OpenOptions {
  /** The process that owns start-up brings the schema up to date first; the others only check it. */
  migrate: boolean;
  /** The node's change beacon (every process of the node signals its commits, caches read it). */
  beacon?: ChangeBeacon | undefined;
}

export async function openStore(location: StoreLocation, options: OpenOptions): Promise<Store> {
  if (location.backend === 'postgres') return openPostgresStore(location, options);
  const store = new SqliteStore(location.path, { beacon: options.beacon });
  try {
    if (options.migrate) store.migrate();
  } catch (error) {
    void store.close();
    throw error;
  }
  return store;
}

/**
 * The primary process migrates (several nodes starting at once are fine: one applies, the others wait); other
 * processes only check that the schema is the one this release knows. Either refuses a newer schema.
 */
async function openPostgresStore(location: PostgresLocation, options: OpenOptions): Promise<PostgresStore> {
  const store = new PostgresStore({ url: location.url, maxConnections: location.maxConnections, beacon: options.beacon });
  try {
    if (options.migrate) await store.migrate();
    else await store.checkSchema();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/** How messages name a store: the SQLite file, or the database URL without its password. */
export function describeStoreLocation(location: StoreLocation): string {
  return location.backend === 'sqlite' ? location.path : `the database ${redactedUrl(location.url)}`;
}
