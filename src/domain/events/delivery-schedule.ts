/**
 * When a failed delivery is tried again: exponential backoff from 30 seconds (30 s, 1 min, 2 min … capped at an
 * hour), at most 10 attempts (about 4 hours and a quarter in all), then the event is `abandoned` (it stays in the
 * outbox, and in the audit log, for an operator to see). Attempts happen at the rotation job's runs (every minute
 * on a running server, or at `strongroom jobs run rotation`), so a due retry waits for the next run.
 */
import type { IntDate } from '../../lib/intdate.ts';
import type { DeliveryResult } from './key-events.ts';
import type { KeyEventAttempt, KeyEventRecord } from './key-event-record.ts';

export const MAX_DELIVERY_ATTEMPTS = 10;
const FIRST_BACKOFF_SECONDS = 30;
const MAX_BACKOFF_SECONDS = 3600;

export function backoffSeconds(failedAttempts: number): number {
  return Math.min(FIRST_BACKOFF_SECONDS * 2 ** (failedAttempts - 1), MAX_BACKOFF_SECONDS);
}

export function attemptOutcome(event: KeyEventRecord, result: DeliveryResult, now: IntDate): KeyEventAttempt {
  const attempts = event.attempts + 1;
  if (result.delivered) return { status: 'delivered', attempts, nextAttempt: now, deliveredAt: now };
  const status = attempts >= MAX_DELIVERY_ATTEMPTS ? 'abandoned' : 'pending';
  return { status, attempts, nextAttempt: now + backoffSeconds(attempts), lastError: result.error };
}
