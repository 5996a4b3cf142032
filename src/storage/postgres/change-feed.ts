/**
 * Cross-node change notifications: how a node learns that another node changed keys, so that caches of key
 * records (the store's own, the keystore's) stay coherent across a cluster sharing one database.
 *
 * The writing side: a unit of work that wrote keys runs `NOTIFY_CHANGES` as its last statement before COMMIT.
 * It bumps the one-row `store_changes` counter and sends `pg_notify('strongroom_changes', payload)` with the
 * new counter value and the lower-cased names of the keys it changed; PostgreSQL delivers the notification
 * only if, and once, the transaction commits, in commit order.
 *
 * The listening side (`ChangeFeed`): a dedicated connection, outside the pool, that LISTENs on the channel.
 * - Each notification becomes a `StoreChange` naming the keys (or "everything" when the payload would have
 *   been too long).
 * - When the connection drops, listeners are told "everything" (`connection-lost`), the feed is not `live`
 *   (caches must not serve), and it reconnects by itself (backing off from 100 ms to 5 s). Once listening
 *   again it is live again, and listeners are told "everything" (`reconnected`): changes made meanwhile were
 *   not notified.
 * - A fallback poll reads the counter every `pollIntervalMs` (2 s by default, at most 5 s) through the pool.
 *   A counter ahead of the last notified value means a notification is missing: listeners are told
 *   "everything" (`missed-notification`) at once, and if it is still missing at the next poll, the LISTEN
 *   connection is taken for dead (a half-open TCP connection shows no error) and replaced. A poll that fails
 *   makes the feed not live until one succeeds.
 *
 * The bound: a change committed by another node reaches this node's listeners in the time a notification
 * takes (milliseconds on a LAN; the tests check < 1 s); if notifications are lost without the connection
 * reporting it, within one poll interval (2 s by default, never more than 5 s) plus one query.
 */
import pg from 'pg';

export const CHANGES_CHANNEL = 'strongroom_changes';
/** How the LISTEN connection shows in pg_stat_activity (pooled ones show as `strongroom`). */
export const LISTEN_APPLICATION_NAME = 'strongroom-listen';

export type StoreChange =
  /** These keys (lower-cased names) changed; `counter` is the change counter their unit left. */
  | { kind: 'keys'; names: readonly string[]; counter: number }
  /** Anything may have changed: drop whatever was derived from stored keys. */
  | { kind: 'everything'; reason: 'connection-lost' | 'reconnected' | 'missed-notification' | 'many-keys' };

/** Bumps the counter and notifies, in the unit's transaction; `$1` is `changedKeysPayload(...)`. */
export const NOTIFY_CHANGES = `WITH bumped AS (UPDATE store_changes SET counter = counter + 1 RETURNING counter)
  SELECT pg_notify('${CHANGES_CHANNEL}', json_build_object('counter', counter, 'keys', $1::json)::text) FROM bumped`;

/** A notification payload is at most 8000 bytes; past this many for the names, "*" stands for all of them. */
const MAX_NAMES_BYTES = 7_000;

export function changedKeysPayload(names: Iterable<string>): string {
  const json = JSON.stringify([...names]);
  return Buffer.byteLength(json) > MAX_NAMES_BYTES ? '"*"' : json;
}

export interface ChangeFeedOptions {
  client: pg.ClientConfig;
  /** The current change counter, read through the pool (not the LISTEN connection). */
  readCounter: () => Promise<number>;
  pollIntervalMs: number;
  onChange: (change: StoreChange) => void;
  /** Told whenever `live` changes. */
  onLive: (live: boolean) => void;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
const ignore = () => {};

export class ChangeFeed {
  readonly #options: ChangeFeedOptions;
  #client: pg.Client | undefined;
  #listening = false;
  #pollOk = true;
  #live = false;
  #everListened = false;
  #closed = false;
  /** The highest counter a notification (or the listen start) vouched for. */
  #seen = 0;
  /** A counter value the last poll found missing; still missing at the next poll means a dead connection. */
  #missing: number | undefined;
  #polling = false;
  #retryMs = RETRY_MIN_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #pollTimer: NodeJS.Timeout;

  constructor(options: ChangeFeedOptions) {
    this.#options = options;
    this.#pollTimer = setInterval(() => void this.#poll(), options.pollIntervalMs);
    this.#pollTimer.unref();
    void this.#connect();
  }

  /** True while every change committed since is known to be notified (or caught by the poll). */
  get live(): boolean {
    return this.#live;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    this.#listening = false;
    this.#setLive();
    await client?.end().catch(ignore);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ ...this.#options.client, application_name: LISTEN_APPLICATION_NAME });
    this.#client = client;
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => this.#notified(message));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
      // Whatever committed before LISTEN took effect is at most this counter, and was never notified to us.
      const [row] = (await client.query<{ counter: number }>('SELECT counter FROM store_changes')).rows;
      if (client !== this.#client || this.#closed) {
        // Closed (or replaced) while connecting: this connection is nobody's.
        await client.end().catch(ignore);
        return;
      }
      this.#seen = Math.max(this.#seen, row?.counter ?? 0);
      this.#missing = undefined;
      this.#retryMs = RETRY_MIN_MS;
      this.#listening = true;
      if (this.#everListened) this.#emit({ kind: 'everything', reason: 'reconnected' });
      this.#everListened = true;
      this.#setLive();
    } catch {
      this.#lost(client);
    }
  }

  #lost(client: pg.Client): void {
    if (client !== this.#client) return;
    this.#client = undefined;
    client.removeAllListeners('notification');
    client.on('error', ignore);
    void client.end().catch(ignore);
    const wasListening = this.#listening;
    this.#listening = false;
    this.#setLive();
    if (wasListening) this.#emit({ kind: 'everything', reason: 'connection-lost' });
    if (this.#closed) return;
    this.#retryTimer = setTimeout(() => void this.#connect(), this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }

  #notified(message: pg.Notification): void {
    if (message.channel !== CHANGES_CHANNEL) return;
    let payload: { counter?: unknown; keys?: unknown };
    try {
      payload = JSON.parse(message.payload ?? '') as { counter?: unknown; keys?: unknown };
    } catch {
      payload = {};
    }
    const counter = typeof payload.counter === 'number' ? payload.counter : undefined;
    if (counter !== undefined) this.#seen = Math.max(this.#seen, counter);
    const names = payload.keys;
    if (counter !== undefined && Array.isArray(names) && names.every((name) => typeof name === 'string')) {
      this.#emit({ kind: 'keys', names: names as string[], counter });
    } else {
      this.#emit({ kind: 'everything', reason: 'many-keys' });
    }
  }

  async #poll(): Promise<void> {
    if (!this.#listening || this.#polling) return;
    this.#polling = true;
    try {
      const counter = await this.#options.readCounter();
      this.#pollOk = true;
      if (this.#missing !== undefined && this.#seen < this.#missing) {
        // A whole poll interval and still not notified: the LISTEN connection is dead without saying so.
        this.#missing = undefined;
        if (this.#client !== undefined) this.#lost(this.#client);
      } else if (counter > this.#seen) {
        this.#missing = counter;
        this.#emit({ kind: 'everything', reason: 'missed-notification' });
      } else {
        this.#missing = undefined;
      }
    } catch {
      this.#pollOk = false;
    } finally {
      this.#polling = false;
      this.#setLive();
    }
  }

  #setLive(): void {
    const live = this.#listening && this.#pollOk && !this.#closed;
    if (live === this.#live) return;
    this.#live = live;
    this.#options.onLive(live);
  }

  #emit(change: StoreChange): void {
    this.#options.onChange(change);
  }
}
