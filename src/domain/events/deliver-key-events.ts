/**
 * `deliverKeyEvents` (system caller, the rotation job): one delivery attempt for each outbox event that is due,
 * then the outcomes recorded. The POSTs happen in `prepare`, outside any unit of work (a slow receiver must not
 * hold a database lock); the unit records them, each conditionally on the event still being pending. Only the
 * node holding the rotation job's lease runs it, so an event is not POSTed by two nodes at once; a crash between
 * the POST and the record sends it again at the next run (at-least-once, with the same CloudEvents `id`).
 */
import { KEYS_SCOPE } from '../keys/key-scope.ts';
import { writeOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { attemptOutcome } from './delivery-schedule.ts';
import type { KeyEventAttempt } from './key-event-record.ts';

/** Events attempted per call; the job calls again while a call delivered some. */
export const DELIVERY_BATCH = 50;

export interface DeliveryReport {
  delivered: number;
  failed: number;
  abandoned: number;
  /** Ids with their outcomes, for the job's report. */
  outcomes: Array<{ id: string; status: KeyEventAttempt['status']; attempts: number; error?: string | undefined }>;
}

export const deliverKeyEvents = writeOperation<Record<string, never>, DeliveryReport, Array<{ id: string; attempt: KeyEventAttempt }>>({
  name: 'deliverKeyEvents',
  dataAction: DataActions.rotateKey,
  scope: () => KEYS_SCOPE,
  audit: (_input, output) => (output === undefined ? {} : { delivered: output.delivered, failed: output.failed, abandoned: output.abandoned }),
  async prepare(call, store) {
    if (!call.env.events.enabled) return [];
    const due = await store.keyEvents.listPendingKeyEvents(call.now, DELIVERY_BATCH);
    const attempts = [];
    for (const event of due) {
      attempts.push({ id: event.id, attempt: attemptOutcome(event, await call.env.events.deliver(event), call.now) });
    }
    return attempts;
  },
  async run(_call, unit, attempts) {
    const report: DeliveryReport = { delivered: 0, failed: 0, abandoned: 0, outcomes: [] };
    for (const { id, attempt } of attempts) {
      if (!(await unit.keyEvents.recordKeyEventAttempt(id, attempt))) continue;
      if (attempt.status === 'delivered') report.delivered += 1;
      else if (attempt.status === 'abandoned') report.abandoned += 1;
      else report.failed += 1;
      report.outcomes.push({ id, status: attempt.status, attempts: attempt.attempts, error: attempt.lastError });
    }
    return report;
  },
});
