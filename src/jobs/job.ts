/** A scheduled job: what it is called, how often it runs, how long one run may hold its lease, and the run. */
import type { CallerContext } from '../domain/kernel/context.ts';

export interface Job {
  readonly name: string;
  readonly intervalSeconds: number;
  /** Longer than a run can take: a node that dies mid-run frees the job for another node after this. */
  readonly leaseSeconds: number;
  /** Runs once, as the system caller. May return the state to keep for the next run (opaque JSON text). */
  run(context: CallerContext, state: string | undefined): Promise<string | undefined>;
}
