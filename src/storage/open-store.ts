/**
 * Opens the configured store. Today the embedded SQLite file of the data directory; the PostgreSQL backend
 * (`--store postgres://…`) plugs in here, so start-up never names a concrete backend.
 */
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export interface StoreLocation {
  backend: 'sqlite';
  path: string;
}

/** Opens the store; `migrate` (the process that owns start-up) brings its schema up to date first. */
export function openStore(location: StoreLocation, options: { migrate: boolean }): Store {
  const store = new SqliteStore(location.path);
  try {
    if (options.migrate) store.migrate();
  } catch (error) {
    void store.close();
    throw error;
  }
  return store;
}
