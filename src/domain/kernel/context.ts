/**
 * Who is asking, through which door, and when: the context every operation runs in. HTTP builds it from the
 * request (the verified token's principal, the request ids, the source address); a scheduled job runs as the
 * system caller; the CLI and a PKCS#11 bridge will build theirs the same way. The kernel reads nothing else
 * about the caller, so every caller gets the same checks.
 */
import { randomUUID } from 'node:crypto';
import { nowIntDate, type IntDate } from '../../lib/intdate.ts';

export type CallerKind = 'service-principal' | 'system';

export interface Caller {
  /** The principal's object id; for the system caller, `system:<job>`. */
  readonly id: string;
  readonly kind: CallerKind;
}

export type Channel = 'http' | 'job' | 'cli';

export interface CallerContext {
  readonly caller: Caller;
  readonly channel: Channel;
  /** Our id of this request (`x-ms-request-id` over HTTP). */
  readonly requestId: string;
  /** The caller's own id of the request (`x-ms-client-request-id`), when it sent a well-formed one. */
  readonly clientRequestId?: string | undefined;
  readonly sourceAddress?: string | undefined;
  /** The clock operations read "now" from (once per operation); tests control it. */
  readonly clock: () => IntDate;
}

/** The context of a scheduled job: the system caller, named after the job, on the given clock. */
export function systemContext(job: string, clock: () => IntDate = nowIntDate): CallerContext {
  return { caller: { id: `system:${job}`, kind: 'system' }, channel: 'job', requestId: randomUUID(), clock };
}

/**
 * A job run performs several operations under one caller; each is a request of its own on the record, so each
 * gets its own request id (the audit log records every request once).
 */
export function nextRequest(context: CallerContext): CallerContext {
  return { ...context, requestId: randomUUID() };
}
