/**
 * The rotation scheduler's operations, run by the system caller (the rotation job, `strongroom jobs run rotation`):
 *
 *   runKeyRotationSchedule  what is due as of now: a read over the stored policies (never key material), a page
 *                           at a time
 *   rotateKeyOnSchedule     rotates one key away from the version that was due, once: the unit claims
 *                           "rotated from version V" on the policy row (compare-and-set), so two schedulers
 *                           racing, or a retried unit, add one version, and a key overdue by several periods
 *                           (downtime) is rotated once; its next trigger counts from the new version
 *   notifyKeyNearExpiry     the near-expiry event of one version, once: claims "notified V", writes the event to
 *                           the outbox in the same unit (when a webhook is configured), and is its own audit record
 *
 * Each is a kernel operation, so each rotation and notification is authorized, audited and measured like any
 * other; a key skipped because someone else got there first is audited with `skipped: true`.
 */
import { randomUUID } from 'node:crypto';
import { nearExpiryEvent } from '../events/near-expiry-event.ts';
import { readOperation, writeOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { prepareRotatedVersion, storeRotatedVersion } from './key-rotation.ts';
import type { KeyVersion } from './key-model.ts';
import { KEYS_SCOPE, keyFields, keyScope } from './key-scope.ts';
import { isDue, type RotationCandidate } from './rotation-policy.ts';

export type DueWork =
  | { kind: 'rotate'; name: string; fromVersion: string }
  | { kind: 'notify'; name: string; version: string };

export interface SchedulePage {
  due: DueWork[];
  /** Where the next page starts; absent on the last page. */
  next?: string | undefined;
}

export const SCHEDULE_PAGE_SIZE = 200;

export const runKeyRotationSchedule = readOperation<{ after?: string | undefined }, SchedulePage>({
  name: 'runKeyRotationSchedule',
  dataAction: DataActions.rotateKey,
  scope: () => KEYS_SCOPE,
  audit: (_input, output) => (output === undefined ? {} : {
    rotationsDue: output.due.filter((work) => work.kind === 'rotate').length,
    notificationsDue: output.due.filter((work) => work.kind === 'notify').length,
  }),
  async run(call, store) {
    const page = await store.rotationPolicies.listRotationCandidates({ limit: SCHEDULE_PAGE_SIZE, after: call.input.after });
    return { due: page.items.flatMap((candidate) => dueWork(candidate, call.now)), next: page.next };
  },
});

/** What is due for one key: a rotation (then no notification: the version it would be about is replaced). */
export function dueWork(candidate: RotationCandidate, now: number): DueWork[] {
  const { name, policy, latest } = candidate;
  if (candidate.rotatedFrom !== latest.version && isDue(policy, 'Rotate', latest, now)) {
    return [{ kind: 'rotate', name, fromVersion: latest.version }];
  }
  if (candidate.notifiedVersion !== latest.version && isDue(policy, 'Notify', latest, now)) {
    return [{ kind: 'notify', name, version: latest.version }];
  }
  return [];
}

export interface ScheduledRotation {
  /** The new version; undefined when skipped (the key changed or was deleted, or another run rotated it). */
  rotated?: KeyVersion | undefined;
}

export const rotateKeyOnSchedule = writeOperation<{ name: string; fromVersion: string }, ScheduledRotation, KeyVersion | undefined>({
  name: 'rotateKeyOnSchedule',
  dataAction: DataActions.rotateKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => ({
    ...keyFields(input.name, output?.rotated?.version),
    fromVersion: input.fromVersion,
    ...(output !== undefined && output.rotated === undefined ? { skipped: true } : {}),
  }),
  async prepare(call, store) {
    const current = await store.keys.getKeyVersion(call.input.name);
    if (current?.version !== call.input.fromVersion) return undefined;
    return prepareRotatedVersion(call, store, current);
  },
  async run(call, unit, version) {
    const { name, fromVersion } = call.input;
    if (version === undefined) return {};
    const current = await unit.keys.getKeyVersion(name);
    if (current?.version !== fromVersion) return {};
    if (!(await unit.rotationPolicies.claimRotation(name, fromVersion))) return {};
    return { rotated: await storeRotatedVersion(unit, name, version, call.env) };
  },
});

export interface NearExpiryNotification {
  notified: boolean;
  /** The CloudEvents id of the event written to the outbox (none without a webhook). */
  eventId?: string | undefined;
}

export const notifyKeyNearExpiry = writeOperation<{ name: string; version: string }, NearExpiryNotification>({
  name: 'notifyKeyNearExpiry',
  dataAction: DataActions.rotateKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => ({
    ...keyFields(input.name, input.version),
    ...(output === undefined ? {} : output.notified ? { eventId: output.eventId } : { skipped: true }),
  }),
  async run(call, unit) {
    const { name, version } = call.input;
    const current = await unit.keys.getKeyVersion(name);
    const exp = current?.attributes.exp;
    if (current?.version !== version || exp === undefined) return { notified: false };
    if (!(await unit.rotationPolicies.claimNotification(name, version))) return { notified: false };
    if (!call.env.events.enabled) return { notified: true };
    const policy = await unit.rotationPolicies.getRotationPolicy(name);
    const id = randomUUID();
    const event = nearExpiryEvent({
      id,
      vaultUri: policy?.policy.vaultUri ?? 'https://localhost',
      name: current.name,
      version: current.version,
      nbf: current.attributes.nbf,
      exp,
      time: call.now,
    });
    await unit.keyEvents.addKeyEvent({ id, time: call.now, body: JSON.stringify(event) });
    return { notified: true, eventId: id };
  },
});
