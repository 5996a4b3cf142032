/**
 * What the `strongroom audit` commands share: they read the store directly (`--data-dir`, or `--store` for a
 * PostgreSQL database or another SQLite file), so they work while the server is down, and never unwrap the
 * security domain (checkpoints verify with the audit key's public half, stored in the clear).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AuditRecord } from '../../domain/audit/audit-record.ts';
import { instancePaths } from '../../server/instance.ts';
import { describeStoreLocation, openStore, type StoreLocation } from '../../storage/open-store.ts';
import type { Store } from '../../storage/store.ts';
import { CommandFailure, UsageError } from '../command.ts';

export const STORE_OPTIONS = {
  'data-dir': { type: 'string', value: 'DIR', description: 'Data directory whose SQLite database to read (env STRONGROOM_DATA_DIR, default ./strongroom-data).' },
  store: { type: 'string', value: 'URL', description: 'The store instead: postgres://user:password@host:port/database or sqlite:PATH (env STRONGROOM_STORE).' },
} as const;

export function storeLocation(values: { 'data-dir'?: string | undefined; store?: string | undefined }, env: NodeJS.ProcessEnv): StoreLocation {
  const raw = values.store ?? (values['data-dir'] === undefined ? env['STRONGROOM_STORE'] : undefined);
  if (raw !== undefined && raw !== '') {
    if (/^postgres(ql)?:\/\//.test(raw)) return { backend: 'postgres', url: raw };
    if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) return { backend: 'sqlite', path: resolve(raw.slice('sqlite:'.length)) };
    throw new UsageError('--store must be sqlite:PATH or postgres://user:password@host:port/database');
  }
  return { backend: 'sqlite', path: instancePaths(resolve(values['data-dir'] ?? env['STRONGROOM_DATA_DIR'] ?? 'strongroom-data')).database };
}

/** Opens the store for reading (no migration: a schema this release does not know is refused). */
export async function openAuditStore(location: StoreLocation): Promise<Store> {
  if (location.backend === 'sqlite' && !existsSync(location.path)) throw new CommandFailure(`no database at ${location.path}; give --data-dir DIR or --store URL`);
  try {
    return await openStore(location, { migrate: false });
  } catch (error) {
    throw new CommandFailure(`cannot open ${describeStoreLocation(location)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export async function withAuditStore<T>(location: StoreLocation, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openAuditStore(location);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** A record as the commands print it: its place in the chain and its entry (the body, parsed). */
export function printable(record: AuditRecord): Record<string, unknown> {
  let entry: unknown;
  try {
    entry = JSON.parse(record.body);
  } catch {
    entry = record.body;
  }
  return { chainId: record.chainId, seq: record.seq, time: new Date(record.time).toISOString(), kind: record.kind, operationName: record.operationName, principalId: record.principalId, keyName: record.keyName, entry, hash: record.hash };
}

export function parseSince(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time)) throw new UsageError(`--since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z (got ${value})`);
  return time;
}
