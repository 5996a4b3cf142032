/**
 * Job leases and schedules on PostgreSQL (the `jobs` table). The lease is taken by one
 * `INSERT … ON CONFLICT DO UPDATE … WHERE`: PostgreSQL locks the row and re-checks the condition on the latest
 * committed version, so of two nodes asking at once exactly one gets it.
 */
import type { JobRecord, JobRun } from '../../jobs/job-model.ts';
import { jobFromRow, type JobRow } from '../job-rows.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { JobRepository } from '../store.ts';
import type { Sql } from './sql.ts';


export class PostgresJobs implements JobRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async getJob(name: string): Promise<JobRecord | undefined> {
    const [row] = await this.#sql.rows<JobRow>('SELECT * FROM jobs WHERE name = $1', [name]);
    return row && jobFromRow(row);
  }

  async tryAcquireLease(name: string, holder: string, now: IntDate, until: IntDate, options: { evenIfNotDue?: boolean | undefined } = {}): Promise<boolean> {
    const changed = await this.#sql.count(
      `INSERT INTO jobs (name, holder, lease_expires) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_expires = excluded.lease_expires
       WHERE (jobs.holder IS NULL OR jobs.lease_expires <= $4 OR jobs.holder = excluded.holder)
         AND ($5::boolean OR jobs.next_run IS NULL OR jobs.next_run <= $4)`,
      [name, holder, until, now, options.evenIfNotDue === true],
    );
    return changed > 0;
  }

  async recordRun(name: string, holder: string, run: JobRun): Promise<boolean> {
    const changed = await this.#sql.count(
      `UPDATE jobs SET holder = NULL, lease_expires = NULL, last_started = $3, last_finished = $4,
         last_outcome = $5, last_error = $6, next_run = $7, state = COALESCE($8, state)
       WHERE name = $1 AND holder = $2`,
      [name, holder, run.started, run.finished, run.outcome, run.error ?? null, run.nextRun, run.state ?? null],
    );
    return changed > 0;
  }
}
