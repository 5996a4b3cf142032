/**
 * How the repositories run SQL: one small interface over either the pool (committed reads outside units) or a
 * unit's own client (inside its transaction), so each repository is written once.
 *
 * Every statement is a named prepared statement (its name is a digest of its text), so each pooled connection
 * parses and plans it once; every failure comes out as the contract's error (`pg-errors.ts`). The unit's runner
 * also remembers a failed statement: PostgreSQL aborts the whole transaction then, so every later statement
 * (COMMIT included) fails with that first error, and a unit that swallowed it cannot go on to report a commit.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { contractError } from './pg-errors.ts';

/** A value bound to a placeholder ($1, $2...). */
export type SqlValue = string | number | boolean | null | Buffer;

export interface Sql {
  /** The rows a statement returns, typed by the caller (rows are plain objects keyed by column name). */
  rows<R>(text: string, values?: readonly SqlValue[]): Promise<R[]>;
  /** How many rows a statement changed (or returned). */
  count(text: string, values?: readonly SqlValue[]): Promise<number>;
}

const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `sr_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

function prepared(text: string, values: readonly SqlValue[]): pg.QueryConfig<SqlValue[]> {
  return { name: statementName(text), text, values: [...values] };
}

/** Statements on the pool, each in its own implicit transaction: committed state only. */
export class PoolSql implements Sql {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async rows<R>(text: string, values: readonly SqlValue[] = []): Promise<R[]> {
    return (await this.#run(text, values)).rows as R[];
  }

  async count(text: string, values: readonly SqlValue[] = []): Promise<number> {
    return (await this.#run(text, values)).rowCount ?? 0;
  }

  async #run(text: string, values: readonly SqlValue[]): Promise<pg.QueryResult> {
    try {
      return await this.#pool.query(prepared(text, values));
    } catch (error) {
      throw contractError(error);
    }
  }
}

/** Statements on one unit's client, inside its transaction. */
export class ClientSql implements Sql {
  readonly #client: pg.PoolClient;
  /** The first statement that failed: the transaction is aborted from then on. */
  failure: unknown = undefined;

  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  async rows<R>(text: string, values: readonly SqlValue[] = []): Promise<R[]> {
    return (await this.run(text, values)).rows as R[];
  }

  async count(text: string, values: readonly SqlValue[] = []): Promise<number> {
    return (await this.run(text, values)).rowCount ?? 0;
  }

  /** A statement with parameters (prepared), or without (simple protocol: BEGIN, COMMIT, migration scripts). */
  async run(text: string, values?: readonly SqlValue[]): Promise<pg.QueryResult> {
    if (this.failure !== undefined) throw this.failure;
    try {
      return values === undefined ? await this.#client.query(text) : await this.#client.query(prepared(text, values));
    } catch (error) {
      const mapped = contractError(error);
      this.failure ??= mapped;
      throw mapped;
    }
  }
}
