/**
 * From a store URL to the `pg` driver's connection settings, in one place, so that the pool and the LISTEN
 * connection connect alike and nothing else parses the URL.
 *
 * - `postgres://user:password@host:port/db` or `postgresql://…`; query parameters (`sslmode=`, `host=` for a Unix
 *   socket directory, …) go to the driver as they are. Whatever the URL leaves out, the driver takes from the
 *   libpq environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE).
 * - `int8` (bigint) columns come back as JS numbers (IntDates, sequence numbers, the change counter), through a
 *   type parser given to this pool's clients only: the driver's global parsers stay as they are.
 * - The password never appears in a message: `redactedUrl` is what diagnostics print.
 */
import pg from 'pg';

export interface ConnectionSettings {
  /** At most this many pooled connections per process (the LISTEN connection is one more). */
  maxConnections: number;
  /** How long a unit waits for a free pooled connection, or for a new one to open, before it answers busy. */
  connectTimeoutMs: number;
  /** How long a statement waits for a row lock another unit holds before the unit answers busy. */
  lockTimeoutMs: number;
}

export const DEFAULT_CONNECTION_SETTINGS: ConnectionSettings = {
  maxConnections: 10,
  connectTimeoutMs: 10_000,
  lockTimeoutMs: 10_000,
};

const INT8_OID = 20;

/** Parses int8 text as a JS number; a value past 2^53 is a bug here, not something to round silently. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`a bigint column holds ${text}, beyond a safe JS integer`);
  return value;
}

const localTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export function assertPostgresUrl(url: string): void {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new Error(`not a PostgreSQL URL (expected postgres://user@host:port/database): ${redactedUrl(url)}`);
  }
}

/** Settings for one client (the LISTEN connection) or, with `max`, for the pool. */
export function clientConfig(url: string, settings: ConnectionSettings): pg.ClientConfig {
  assertPostgresUrl(url);
  return {
    connectionString: url,
    types: localTypes,
    application_name: 'strongroom',
    connectionTimeoutMillis: settings.connectTimeoutMs,
    lock_timeout: settings.lockTimeoutMs,
    // A unit whose process froze holds its row locks; the server ends it after this long.
    idle_in_transaction_session_timeout: 60_000,
    keepAlive: true,
  };
}

export function poolConfig(url: string, settings: ConnectionSettings): pg.PoolConfig {
  return { ...clientConfig(url, settings), max: settings.maxConnections, idleTimeoutMillis: 30_000 };
}

/** The URL with its password (and a `password=` parameter) replaced by `***`. */
export function redactedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(an unparseable URL)';
  }
  if (parsed.password !== '') parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.toString();
}
