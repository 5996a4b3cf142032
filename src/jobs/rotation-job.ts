/**
 * The rotation scheduler: once a minute, on the one node holding the job's lease, rotates every key whose
 * policy's Rotate trigger has come, makes the near-expiry notification of every version whose Notify trigger has
 * come, and delivers the key-event outbox to the webhook, each step a kernel operation as the system caller
 * (`domain/keys/rotation-schedule.ts`). `strongroom jobs run rotation` runs the same `runRotation` once, under the
 * same lease.
 *
 * Catching up after downtime needs nothing special: what is due is decided from the latest version's times as of
 * now, so a key overdue by several periods is due once, rotated once, and its next trigger counts from the new
 * version. One key's failure (a locked root of trust, a store error) is reported and the others go on.
 */
import { OPERATIONS } from '../domain/kernel/catalogue.ts';
import { nextRequest, type CallerContext } from '../domain/kernel/context.ts';
import type { Kernel } from '../domain/kernel/kernel.ts';
import type { Job } from './job.ts';

export const ROTATION_JOB = 'key-rotation';
/** Delivery calls per run at most, so a receiver that accepts slowly cannot keep one run going for ever. */
const MAX_DELIVERY_ROUNDS = 20;

export interface RotationReport {
  rotated: Array<{ name: string; fromVersion: string; version: string }>;
  notified: Array<{ name: string; version: string; eventId?: string | undefined }>;
  /** Due work another run (or a change of the key) made unnecessary. */
  skipped: Array<{ name: string; kind: 'rotate' | 'notify' }>;
  events: { delivered: number; failed: number; abandoned: number };
  failures: Array<{ name: string; kind: 'rotate' | 'notify' | 'deliver'; error: string }>;
}

export function rotationJob(kernel: Kernel): Job {
  return {
    name: ROTATION_JOB,
    intervalSeconds: 60,
    // Renewed while a run goes on (a third of this); a node that dies mid-run frees the job after this.
    leaseSeconds: 30,
    run: async (context) => {
      const report = await runRotation(kernel, context);
      if (report.failures.length > 0) throw new Error(`${report.failures.length} rotation step(s) failed; first: ${report.failures[0]?.name}: ${report.failures[0]?.error}`);
      return undefined;
    },
  };
}

export async function runRotation(kernel: Kernel, context: CallerContext): Promise<RotationReport> {
  const report: RotationReport = { rotated: [], notified: [], skipped: [], events: { delivered: 0, failed: 0, abandoned: 0 }, failures: [] };
  let after: string | undefined;
  do {
    const page = await kernel.perform(nextRequest(context), OPERATIONS.runKeyRotationSchedule, { after });
    for (const work of page.due) {
      try {
        if (work.kind === 'rotate') {
          const { rotated } = await kernel.perform(nextRequest(context), OPERATIONS.rotateKeyOnSchedule, { name: work.name, fromVersion: work.fromVersion });
          if (rotated === undefined) report.skipped.push({ name: work.name, kind: 'rotate' });
          else report.rotated.push({ name: rotated.name, fromVersion: work.fromVersion, version: rotated.version });
        } else {
          const outcome = await kernel.perform(nextRequest(context), OPERATIONS.notifyKeyNearExpiry, { name: work.name, version: work.version });
          if (outcome.notified) report.notified.push({ name: work.name, version: work.version, eventId: outcome.eventId });
          else report.skipped.push({ name: work.name, kind: 'notify' });
        }
      } catch (error) {
        report.failures.push({ name: work.name, kind: work.kind, error: message(error) });
      }
    }
    after = page.next;
  } while (after !== undefined);
  await deliverEvents(kernel, context, report);
  return report;
}

async function deliverEvents(kernel: Kernel, context: CallerContext, report: RotationReport): Promise<void> {
  if (!kernel.env.events.enabled) return;
  for (let round = 0; round < MAX_DELIVERY_ROUNDS; round++) {
    try {
      const delivery = await kernel.perform(nextRequest(context), OPERATIONS.deliverKeyEvents, {});
      report.events.delivered += delivery.delivered;
      report.events.failed += delivery.failed;
      report.events.abandoned += delivery.abandoned;
      // Failed events wait for their backoff; only a batch that delivered something may have more behind it.
      if (delivery.delivered === 0) return;
    } catch (error) {
      report.failures.push({ name: '(events)', kind: 'deliver', error: message(error) });
      return;
    }
  }
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 300) ?? '';
}
