/**
 * The embedded store: one SQLite file in WAL mode with full sync, through Node's built-in `node:sqlite`.
 *
 * Each process holds two connections to the file:
 * - the read connection answers reads outside units of work. In WAL mode it sees committed data only, so a
 *   request never observes another request's unit of work half done; its key cache is exactly as fresh as a
 *   query (`../change-aware-cache.ts`): the service gives the store the node's change beacon, which every process
 *   bumps after each commit; without one the cache asks SQLite's `data_version` instead.
 * - the write connection runs the units of work, one at a time in this process (a mutex), each inside
 *   `BEGIN IMMEDIATE … COMMIT`. Several processes (cluster workers) share the file; SQLite's lock serializes
 *   their units, and a unit that finds the lock taken waits for it without blocking the event loop.
 * Purged material: freed pages are zeroed (`secure_delete`), and a unit that purged runs a checkpoint after its
 * commit (`PRAGMA wal_checkpoint(TRUNCATE)`), so the WAL frames that still held the sealed blob are copied back
 * and the WAL is emptied. While another connection is reading, SQLite cannot finish that checkpoint; the store
 * then tries again shortly (a few times), and otherwise the frames go at SQLite's next automatic checkpoint.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyVersion } from '../../domain/keys/key-model.ts';
import { Mutex } from '../../lib/mutex.ts';
import { StoreBusyError } from '../store-errors.ts';
import type { Readers, Store, TransactionOptions, UnitOfWork } from '../store.ts';
import type { ChangeBeacon } from '../change-beacon.ts';
import { beaconProbe, ChangeAwareCache, dataVersionProbe } from '../change-aware-cache.ts';
import { isBusy, SqliteConnection } from './connection.ts';
import { sqliteMigrations } from './migrations.ts';
import { SqliteAudit } from './sqlite-audit.ts';
import { SqliteJobs } from './sqlite-jobs.ts';
import { SqliteRoles } from './sqlite-roles.ts';
import { SqliteKeys } from './sqlite-keys.ts';
import { SqliteSecrets } from './sqlite-secrets.ts';
import { SqlitePrincipals } from './sqlite-principals.ts';
import { SqliteSettings } from './sqlite-settings.ts';
import { SqliteKeyEvents } from './sqlite-key-events.ts';
import { SqliteRotationPolicies } from './sqlite-rotation-policies.ts';

/** How long a unit of work waits, by default, for another process's write lock before the store answers busy. */
const WRITE_LOCK_WAIT_MS = 10_000;
/** Retries of a post-purge checkpoint that readers kept from completing, and the pause between them. */
const CHECKPOINT_RETRIES = 20;
const CHECKPOINT_RETRY_MS = 50;

export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  readonly reader: Readers;
  readonly #reads: SqliteConnection;
  readonly #writes: SqliteConnection;
  readonly #unit: Omit<UnitOfWork, 'afterCommit'>;
  readonly #mutex = new Mutex();
  readonly #beacon: ChangeBeacon | undefined;
  readonly #lockWaitMs: number;
  #purged = false;
  /** Set by the unit's key repository: this unit changed keys, which the node's other processes cache. */
  #keysWritten = false;

  constructor(path: string, options: { beacon?: ChangeBeacon | undefined; lockWaitMs?: number } = {}) {
    this.#beacon = options.beacon;
    this.#lockWaitMs = options.lockWaitMs ?? WRITE_LOCK_WAIT_MS;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // An in-memory database exists per connection, so there both roles share one connection.
    this.#writes = new SqliteConnection(path, { busyTimeoutMs: 0 });
    this.#reads = path === ':memory:' ? this.#writes : new SqliteConnection(path, { busyTimeoutMs: WRITE_LOCK_WAIT_MS });
    const probe = this.#beacon === undefined ? dataVersionProbe(this.#reads.statement('PRAGMA data_version')) : beaconProbe(this.#beacon);
    const cache = new ChangeAwareCache<KeyVersion>(probe);
    this.reader = {
      keys: new SqliteKeys(this.#reads, path === ':memory:' ? {} : { cache }),
      secrets: new SqliteSecrets(this.#reads),
      roles: new SqliteRoles(this.#reads),
      principals: new SqlitePrincipals(this.#reads),
      settings: new SqliteSettings(this.#reads),
      jobs: new SqliteJobs(this.#reads),
      audit: new SqliteAudit(this.#reads),
      rotationPolicies: new SqliteRotationPolicies(this.#reads),
      keyEvents: new SqliteKeyEvents(this.#reads),
    };
    this.#unit = {
      keys: new SqliteKeys(this.#writes, { onPurge: () => { this.#purged = path !== ':memory:'; }, onWrite: () => { this.#keysWritten = true; } }),
      // Secrets are not cached, so their writes need no beacon; a purge empties the WAL as keys' do.
      secrets: new SqliteSecrets(this.#writes, { onPurge: () => { this.#purged = path !== ':memory:'; } }),
      roles: new SqliteRoles(this.#writes),
      principals: new SqlitePrincipals(this.#writes),
      settings: new SqliteSettings(this.#writes),
      jobs: new SqliteJobs(this.#writes),
      audit: new SqliteAudit(this.#writes),
      rotationPolicies: new SqliteRotationPolicies(this.#writes),
      keyEvents: new SqliteKeyEvents(this.#writes),
    };
  }

  /**
   * Brings the schema up to date; run by the process that owns start-up, before workers open the file. Refuses
   * a database whose schema is newer than this release knows (it was opened by a later release).
   */
  migrate(): void {
    const db = this.#writes.db;
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)');
    this.#beginImmediateSync();
    try {
      const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
      const current = row.v ?? 0;
      if (current > sqliteMigrations.length) {
        throw new Error(`the database schema is version ${current}, newer than this release knows (${sqliteMigrations.length}); run the newer release`);
      }
      for (let index = current; index < sqliteMigrations.length; index++) {
        db.exec(sqliteMigrations[index] ?? '');
        db.prepare('INSERT INTO schema_migrations (version, applied) VALUES (?, ?)').run(index + 1, Date.now());
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }

  transaction<T>(work: (unit: UnitOfWork) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.#mutex.run(async () => {
      // Outside a transaction only; set back to FULL before the next unit (the mutex holds it off until then).
      const relaxed = options.relaxedDurability === true && this.#writes.db.isOpen;
      if (relaxed) this.#writes.db.exec('PRAGMA synchronous = NORMAL');
      try {
        return await this.#unitOfWork(work);
      } finally {
        if (relaxed && this.#writes.db.isOpen) this.#writes.db.exec('PRAGMA synchronous = FULL');
      }
    });
  }

  async #unitOfWork<T>(work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
    await this.#beginImmediate();
    this.#keysWritten = false;
    const afterCommit: Array<() => void> = [];
    let result: T;
    try {
      result = await work({ ...this.#unit, afterCommit: (callback) => afterCommit.push(callback) });
      this.#writes.db.exec('COMMIT');
    } catch (error) {
      this.#purged = false;
      if (this.#writes.db.isTransaction) this.#writes.db.exec('ROLLBACK');
      throw error;
    }
    // Before the write is acknowledged: every process of the node drops its cached key reads at its next request.
    // (Units that write no key, such as audit records, leave the caches alone.)
    if (this.#keysWritten) this.#beacon?.signal();
    if (this.#purged) {
      this.#purged = false;
      this.#checkpointPurged(CHECKPOINT_RETRIES);
    }
    for (const callback of afterCommit) callback();
    return result;
  }

  async checkHealth(): Promise<void> {
    this.#reads.statement('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.#mutex.run(async () => {
      this.#reads.close();
      this.#writes.close();
      this.#beacon?.close();
    });
  }

  /** Empties the WAL after a purge; retried in the background while readers keep it from completing. */
  #checkpointPurged(retries: number): void {
    if (!this.#writes.db.isOpen) return;
    let busy: boolean;
    try {
      busy = (this.#writes.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy: number }).busy !== 0;
    } catch (error) {
      if (!isBusy(error)) throw error;
      busy = true;
    }
    if (!busy || retries === 0) return;
    // Between units only: a checkpoint cannot run inside another unit's open transaction.
    const retry = () => void this.#mutex.run(async () => this.#checkpointPurged(retries - 1)).catch(() => undefined);
    setTimeout(retry, CHECKPOINT_RETRY_MS).unref();
  }

  /** `BEGIN IMMEDIATE`, waiting for another process's lock in short sleeps instead of a blocking busy wait. */
  async #beginImmediate(): Promise<void> {
    const deadline = Date.now() + this.#lockWaitMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      try {
        this.#writes.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (Date.now() >= deadline) throw new StoreBusyError();
        await sleep(pause);
      }
    }
  }

  #beginImmediateSync(): void {
    const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
    for (;;) {
      try {
        this.#writes.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!isBusy(error) || Date.now() >= deadline) throw error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  }
}
