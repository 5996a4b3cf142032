/**
 * Bringing a PostgreSQL database's schema up to date, and refusing one this release does not know.
 *
 * Several nodes may start at once against one database. The whole migration runs in one transaction that
 * first takes a transaction-level advisory lock (`pg_advisory_xact_lock`, released at COMMIT or ROLLBACK): the
 * first node applies what is missing, the others wait for it and then find nothing to do. DDL is
 * transactional in PostgreSQL, so a migration that fails leaves the schema as it was. `schema_migrations`
 * records each applied version, as on SQLite.
 */
import { postgresMigrations } from './migrations.ts';
import type { ClientSql, Sql } from './sql.ts';

/** The advisory lock key of migrations ("srmigrat" in ASCII), the same on every node of every release. */
const MIGRATION_LOCK = '8318831761181270388';
const MIGRATION_LOCK_TIMEOUT = '5min';

export interface MigrationOutcome {
  /** The schema version found, and the one left. */
  from: number;
  to: number;
}

/** Runs inside a transaction the caller opened on `unit` (and commits or rolls back). */
export async function migrateSchema(unit: ClientSql, now: number): Promise<MigrationOutcome> {
  // Waiting for another node's migration, or for running units to let DDL through, may take longer than a unit may.
  await unit.run(`SET LOCAL lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
  await unit.run('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await unit.run('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied bigint NOT NULL)');
  const from = await appliedVersion(unit);
  refuseNewer(from);
  for (let index = from; index < postgresMigrations.length; index++) {
    await unit.run(postgresMigrations[index] ?? '');
    await unit.run('INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)', [index + 1, now]);
  }
  return { from, to: Math.max(from, postgresMigrations.length) };
}

/** For a process that does not migrate: the schema must be exactly the one this release knows. */
export async function checkSchema(sql: Sql): Promise<void> {
  const [table] = await sql.rows<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  const version = table?.present === true ? await appliedVersion(sql) : 0;
  refuseNewer(version);
  if (version < postgresMigrations.length) {
    throw new Error(
      `the database schema is version ${version}, older than this release needs (${postgresMigrations.length}); start the process that migrates it first`,
    );
  }
}

async function appliedVersion(sql: Sql): Promise<number> {
  const [row] = await sql.rows<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return row?.v ?? 0;
}

function refuseNewer(version: number): void {
  if (version > postgresMigrations.length) {
    throw new Error(
      `the database schema is version ${version}, newer than this release knows (${postgresMigrations.length}); run the newer release`,
    );
  }
}
