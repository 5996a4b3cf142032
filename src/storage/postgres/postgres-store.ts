/**
 * The shared store: a PostgreSQL database that every node of a cluster opens, through the `pg` driver and a
 * bounded pool of connections per process (10 by default).
 *
 * - Units of work: one pooled connection each, `BEGIN` (READ COMMITTED) … `COMMIT`. Races between nodes are
 *   settled by the statements themselves (row-version conditions, `INSERT … ON CONFLICT`, see
 *   `postgres-keys.ts`); a deadlock or serialization failure is a `ConcurrentChangeError` and the kernel runs the
 *   unit again. A database that cannot be reached, or a connection lost mid-unit, is a `StoreBusyError` (503);
 *   the transaction then never committed, or (connection lost during COMMIT itself) may have, and the unit is
 *   reported failed either way: a write is reported committed only when COMMIT answered so. `afterCommit`
 *   callbacks run only then.
 * - Reads outside units go through the pool, one statement each, so they see committed state only.
 * - The hot path, `reader.keys.getKeyVersion`, is cached (`key-cache.ts`). A unit that wrote keys drops their
 *   entries before `transaction()` returns, so for this process's own writes a cached read is exactly as fresh
 *   as a query. Every such unit also bumps the change counter and notifies the other nodes in its transaction
 *   (`change-feed.ts`); their caches drop the entries when the notification arrives (milliseconds), and at worst
 *   after one fallback poll (2 s by default, at most 5 s). While the feed cannot vouch for the cache (its LISTEN
 *   connection is down, the poll fails), the cache is bypassed. `onChange` hands the same notifications to other
 *   caches (the keystore's), `changeCounter` reads the counter.
 * - Purged keys: the rows are deleted in the unit; PostgreSQL reclaims their space (and the sealed bytes) when
 *   it vacuums the table, which autovacuum does on its own.
 */
import pg from 'pg';
import type { KeyVersion } from '../../domain/keys/key-model.ts';
import type { Readers, Store, TransactionOptions, UnitOfWork } from '../store.ts';
import { ChangeFeed, changedKeysPayload, NOTIFY_CHANGES, type StoreChange } from './change-feed.ts';
import { clientConfig, DEFAULT_CONNECTION_SETTINGS, poolConfig, type ConnectionSettings } from './connection-config.ts';
import { KeyCache } from './key-cache.ts';
import { beaconProbe } from '../change-aware-cache.ts';
import type { ChangeBeacon } from '../change-beacon.ts';
import { breaksConnection, contractError, DatabaseUnavailableError } from './pg-errors.ts';
import { PostgresAudit } from './postgres-audit.ts';
import { PostgresJobs } from './postgres-jobs.ts';
import { PostgresRoles } from './postgres-roles.ts';
import { PostgresKeys } from './postgres-keys.ts';
import { PostgresSecrets } from './postgres-secrets.ts';
import { PostgresPrincipals } from './postgres-principals.ts';
import { PostgresSettings } from './postgres-settings.ts';
import { PostgresKeyEvents } from './postgres-key-events.ts';
import { PostgresRotationPolicies } from './postgres-rotation-policies.ts';
import { checkSchema, migrateSchema, type MigrationOutcome } from './schema.ts';
import { ClientSql, PoolSql } from './sql.ts';

export type { StoreChange } from './change-feed.ts';

export interface PostgresStoreOptions extends Partial<ConnectionSettings> {
  /** `postgres://user:password@host:port/database[?sslmode=…]`; the libpq environment variables fill the gaps. */
  url: string;
  /** The LISTEN connection, the change feed and the reader's key cache (default on). */
  listen?: boolean | undefined;
  /** How often the change counter is polled, as a fallback for lost notifications (default 2000 ms, at most 5000). */
  pollIntervalMs?: number | undefined;
  /** The node's change beacon: this process signals its commits on it, and the key cache reads it. */
  beacon?: ChangeBeacon | undefined;
}

const MAX_POLL_INTERVAL_MS = 5_000;

export class PostgresStore implements Store {
  readonly backend = 'postgres';
  readonly reader: Readers;
  readonly #pool: pg.Pool;
  readonly #poolSql: PoolSql;
  readonly #cache: KeyCache<KeyVersion>;
  readonly #beacon: ChangeBeacon | undefined;
  readonly #feed: ChangeFeed | undefined;
  readonly #listeners = new Set<(change: StoreChange) => void>();
  #closed = false;

  constructor(options: PostgresStoreOptions) {
    const settings: ConnectionSettings = {
      maxConnections: options.maxConnections ?? DEFAULT_CONNECTION_SETTINGS.maxConnections,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECTION_SETTINGS.connectTimeoutMs,
      lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_CONNECTION_SETTINGS.lockTimeoutMs,
    };
    this.#beacon = options.beacon;
    this.#cache = new KeyCache<KeyVersion>({ probe: options.beacon === undefined ? undefined : beaconProbe(options.beacon) });
    this.#pool = new pg.Pool(poolConfig(options.url, settings));
    // An idle pooled connection the server ended: the pool drops it; nothing else to do.
    this.#pool.on('error', () => {});
    this.#poolSql = new PoolSql(this.#pool);
    this.reader = {
      keys: new PostgresKeys(this.#poolSql, { cache: this.#cache }),
      secrets: new PostgresSecrets(this.#poolSql),
      roles: new PostgresRoles(this.#poolSql),
      principals: new PostgresPrincipals(this.#poolSql),
      settings: new PostgresSettings(this.#poolSql),
      jobs: new PostgresJobs(this.#poolSql),
      audit: new PostgresAudit(this.#poolSql),
      rotationPolicies: new PostgresRotationPolicies(this.#poolSql),
      keyEvents: new PostgresKeyEvents(this.#poolSql),
    };
    if (options.listen !== false) {
      this.#feed = new ChangeFeed({
        client: clientConfig(options.url, settings),
        readCounter: () => this.changeCounter(),
        pollIntervalMs: Math.min(options.pollIntervalMs ?? 2_000, MAX_POLL_INTERVAL_MS),
        onChange: (change) => this.#changed(change),
        onLive: (live) => { this.#cache.trusted = live; },
      });
    }
  }

  /**
   * Brings the schema up to date (several nodes may do so at once: one applies, the others wait and find
   * nothing to do). Refuses a database whose schema is newer than this release knows.
   */
  async migrate(): Promise<MigrationOutcome> {
    return this.#inTransaction((unit) => migrateSchema(unit, Date.now()));
  }

  /** For a process that does not migrate: refuses a schema other than the one this release knows. */
  async checkSchema(): Promise<void> {
    await checkSchema(this.#poolSql);
  }

  async transaction<T>(work: (unit: UnitOfWork) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const changed = new Set<string>();
    const afterCommit: Array<() => void> = [];
    let result: T;
    try {
      result = await this.#inTransaction(async (sql) => {
        if (options.relaxedDurability === true) await sql.run('SET LOCAL synchronous_commit = off');
        const output = await work({
          keys: new PostgresKeys(sql, { onWrite: (name) => changed.add(name) }),
          secrets: new PostgresSecrets(sql),
          roles: new PostgresRoles(sql),
          principals: new PostgresPrincipals(sql),
          settings: new PostgresSettings(sql),
          jobs: new PostgresJobs(sql),
          audit: new PostgresAudit(sql),
          rotationPolicies: new PostgresRotationPolicies(sql),
          keyEvents: new PostgresKeyEvents(sql),
          afterCommit: (callback) => afterCommit.push(callback),
        });
        if (changed.size > 0) await sql.run(NOTIFY_CHANGES, [changedKeysPayload(changed)]);
        return output;
      });
    } finally {
      // Committed, or in doubt (the connection broke during COMMIT): either way the cached records may be old.
      if (changed.size > 0) {
        this.#cache.invalidate(changed);
        this.#beacon?.signal();
      }
    }
    for (const callback of afterCommit) callback();
    return result;
  }

  /**
   * Calls `listener` with every change notified by any node (this one included), and with "everything" when
   * notifications may have been missed. Returns the function that stops it.
   */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** True while the change feed vouches for caches: listening, and the last fallback poll succeeded. */
  get changeFeedLive(): boolean {
    return this.#feed?.live ?? false;
  }

  /** The change counter: bumped once by every committed unit of work that wrote keys, on any node. */
  async checkHealth(): Promise<void> {
    await this.#poolSql.rows('SELECT 1');
  }

  async changeCounter(): Promise<number> {
    const [row] = await this.#poolSql.rows<{ counter: number }>('SELECT counter FROM store_changes');
    return row?.counter ?? 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#feed?.close();
    this.#cache.trusted = false;
    await this.#pool.end();
  }

  #changed(change: StoreChange): void {
    if (change.kind === 'keys') this.#cache.invalidate(change.names);
    else this.#cache.clear();
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own; the feed goes on for the others.
      }
    }
  }

  /** Runs `work` in BEGIN … COMMIT on one pooled connection; ROLLBACK on any error. */
  async #inTransaction<T>(work: (sql: ClientSql) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    let broken: unknown;
    const onError = (error: unknown) => { broken ??= error; };
    client.on('error', onError);
    const sql = new ClientSql(client);
    try {
      await sql.run('BEGIN');
      const result = await work(sql);
      // A statement failed and the work went on: PostgreSQL has aborted the transaction, COMMIT would roll back.
      if (sql.failure !== undefined) throw sql.failure;
      const commit = await sql.run('COMMIT').catch((error: unknown) => {
        if (!breaksConnection(error)) throw error;
        throw new DatabaseUnavailableError('the connection was lost during COMMIT: the unit may or may not have committed', error, true);
      });
      if (commit.command !== 'COMMIT') throw new Error(`the transaction was not committed (${commit.command})`);
      return result;
    } catch (error) {
      if (broken === undefined && breaksConnection(error)) broken = error;
      if (broken === undefined) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => { broken = rollbackError; });
      }
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken === undefined ? undefined : broken instanceof Error ? broken : new Error('connection broken'));
    }
  }

  async #connect(): Promise<pg.PoolClient> {
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw contractError(error);
    }
  }
}
