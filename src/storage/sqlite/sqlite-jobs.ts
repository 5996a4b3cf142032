/** Job leases and schedules on SQLite (the `jobs` table); units of work serialize the lease race. */
import type { JobRecord, JobRun } from '../../jobs/job-model.ts';
import { jobFromRow, type JobRow } from '../job-rows.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { JobRepository } from '../store.ts';
import type { SqliteConnection } from './connection.ts';


export class SqliteJobs implements JobRepository {
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  async getJob(name: string): Promise<JobRecord | undefined> {
    const row = this.#connection.statement('SELECT * FROM jobs WHERE name = ?').get(name) as JobRow | undefined;
    return row && jobFromRow(row);
  }

  async tryAcquireLease(name: string, holder: string, now: IntDate, until: IntDate, options: { evenIfNotDue?: boolean | undefined } = {}): Promise<boolean> {
    const changed = this.#connection
      .statement(
        `INSERT INTO jobs (name, holder, lease_expires) VALUES (:name, :holder, :until)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_expires = excluded.lease_expires
         WHERE (jobs.holder IS NULL OR jobs.lease_expires <= :now OR jobs.holder = excluded.holder)
           AND (:force = 1 OR jobs.next_run IS NULL OR jobs.next_run <= :now)`,
      )
      .run({ name, holder, until, now, force: options.evenIfNotDue === true ? 1 : 0 }).changes;
    return Number(changed) > 0;
  }

  async recordRun(name: string, holder: string, run: JobRun): Promise<boolean> {
    const changed = this.#connection
      .statement(
        `UPDATE jobs SET holder = NULL, lease_expires = NULL, last_started = :started, last_finished = :finished,
           last_outcome = :outcome, last_error = :error, next_run = :nextRun, state = COALESCE(:state, state)
         WHERE name = :name AND holder = :holder`,
      )
      .run({
        name,
        holder,
        started: run.started,
        finished: run.finished,
        outcome: run.outcome,
        error: run.error ?? null,
        nextRun: run.nextRun,
        state: run.state ?? null,
      }).changes;
    return Number(changed) > 0;
  }
}
