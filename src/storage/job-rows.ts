/** A `jobs` row as both backends return it (snake_case columns, NULL for absent values), and its record. */
import type { JobRecord } from '../jobs/job-model.ts';

export interface JobRow {
  name: string;
  holder: string | null;
  lease_expires: number | null;
  last_started: number | null;
  last_finished: number | null;
  last_outcome: string | null;
  last_error: string | null;
  next_run: number | null;
  state: string | null;
}

export function jobFromRow(row: JobRow): JobRecord {
  return {
    name: row.name,
    holder: row.holder ?? undefined,
    leaseExpires: row.lease_expires ?? undefined,
    lastStarted: row.last_started ?? undefined,
    lastFinished: row.last_finished ?? undefined,
    lastOutcome: (row.last_outcome ?? undefined) as JobRecord['lastOutcome'],
    lastError: row.last_error ?? undefined,
    nextRun: row.next_run ?? undefined,
    state: row.state ?? undefined,
  };
}
