/**
 * A key event in the outbox: written in the same unit of work as what it reports (a version marked notified), then
 * delivered to the webhook by the rotation job's node and marked sent, so a crash neither loses nor doubles it (a
 * crash between the POST and the mark delivers it again, with the same CloudEvents `id`, for receivers to dedupe).
 */
import type { IntDate } from '../../lib/intdate.ts';

export type KeyEventStatus = 'pending' | 'delivered' | 'abandoned';

export interface KeyEventRecord {
  /** The CloudEvents `id`. */
  readonly id: string;
  readonly time: IntDate;
  /** The structured-mode CloudEvent, as JSON text: exactly what is POSTed, every attempt. */
  readonly body: string;
  readonly status: KeyEventStatus;
  readonly attempts: number;
  /** When the next attempt is due (pending events). */
  readonly nextAttempt: IntDate;
  readonly lastError?: string | undefined;
  readonly deliveredAt?: IntDate | undefined;
}

/** The outcome of one delivery attempt, as the outbox records it. */
export interface KeyEventAttempt {
  readonly status: KeyEventStatus;
  readonly attempts: number;
  readonly nextAttempt: IntDate;
  readonly lastError?: string | undefined;
  readonly deliveredAt?: IntDate | undefined;
}
