/**
 * A scheduled job's record, kept in the store so that every node of a cluster sees the same schedule: who holds
 * its lease (one node at a time runs it), when it last ran and how that went, when it is due next, and any state
 * the job keeps between runs (opaque JSON text).
 */
import type { IntDate } from '../lib/intdate.ts';

export interface JobRecord {
  name: string;
  /** The node holding the lease, until `leaseExpires`; a lease past its expiry is free. */
  holder?: string | undefined;
  leaseExpires?: IntDate | undefined;
  lastStarted?: IntDate | undefined;
  lastFinished?: IntDate | undefined;
  lastOutcome?: 'succeeded' | 'failed' | undefined;
  /** A one-line reason of the last failure (never a payload). */
  lastError?: string | undefined;
  nextRun?: IntDate | undefined;
  state?: string | undefined;
}

export interface JobRun {
  started: IntDate;
  finished: IntDate;
  outcome: 'succeeded' | 'failed';
  error?: string | undefined;
  nextRun: IntDate;
  state?: string | undefined;
}
