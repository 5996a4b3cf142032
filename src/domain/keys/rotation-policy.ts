/**
 * A key's rotation policy (reference §3.4): the model, the rules a policy must follow to be stored, and when its
 * triggers come for a key's latest version. Stored per key name, so it outlives versions; soft-deleted with the
 * key, purged with it.
 *
 * Rules (400 BadParameter otherwise): durations are ISO 8601; at most one Rotate and one Notify action (type
 * compared case-insensitively); each action has exactly one trigger; `timeAfterCreate` only on Rotate;
 * `expiryTime` at least 28 days; a Rotate trigger at least 7 days, and, with an `expiryTime`, at least 7 days
 * inside it (so a new version is never due the moment it is made, which would rotate at every run); a Rotate on
 * `timeBeforeExpiry` needs an `expiryTime` (otherwise the versions it makes would never expire and rotation would
 * stop after one). Notify's `timeBeforeExpiry` needs no `expiryTime`: it also watches an `exp` set by an update.
 */
import { badParameter } from '../../errors/errors.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { maximumSeconds, minimumSeconds, parseIsoDuration, shiftIntDate, type IsoDuration } from '../../lib/iso-duration.ts';

export type LifetimeActionType = 'Rotate' | 'Notify';

export interface LifetimeAction {
  readonly type: LifetimeActionType;
  readonly timeAfterCreate?: string | undefined;
  readonly timeBeforeExpiry?: string | undefined;
}

export interface RotationPolicy {
  readonly expiryTime?: string | undefined;
  readonly lifetimeActions: readonly LifetimeAction[];
  /** The origin (`https://host:port`) the policy was last set through: what near-expiry events name the key by. */
  readonly vaultUri?: string | undefined;
}

/** A policy as stored for a key name. */
export interface StoredRotationPolicy {
  readonly name: string;
  readonly policy: RotationPolicy;
  readonly created: IntDate;
  readonly updated: IntDate;
}

/** What the wire sends (reference §3.4); shapes are checked by the route's schema, meanings here. */
export interface RotationPolicyRequest {
  lifetimeActions?: Array<{
    trigger?: { timeAfterCreate?: string | undefined; timeBeforeExpiry?: string | undefined } | undefined;
    action?: { type?: string | undefined } | undefined;
  }> | null | undefined;
  attributes?: { expiryTime?: string | null | undefined } | undefined;
}

/** What the triggers are measured from: the key's latest version. */
export interface VersionTimes {
  readonly created: IntDate;
  readonly exp?: IntDate | undefined;
}

const DAY = 86_400;
const MIN_EXPIRY_DAYS = 28;
const MIN_ROTATE_DAYS = 7;
/** Longer than any key should live; the bound keeps every date a policy computes a real one. */
const MAX_DURATION_YEARS = 100;

export function rotationPolicyOf(request: RotationPolicyRequest): RotationPolicy {
  const expiryText = request.attributes?.expiryTime ?? undefined;
  const expiry = expiryText === undefined ? undefined : durationOf(expiryText, 'attributes.expiryTime');
  if (expiry !== undefined && minimumSeconds(expiry) < MIN_EXPIRY_DAYS * DAY) {
    throw badParameter(`attributes.expiryTime must be at least ${MIN_EXPIRY_DAYS} days (P${MIN_EXPIRY_DAYS}D); it is '${expiryText}'.`);
  }
  const actions = (request.lifetimeActions ?? []).map((entry, index) => lifetimeActionOf(entry, index, expiry));
  for (const type of ['Rotate', 'Notify'] as const) {
    if (actions.filter((action) => action.type === type).length > 1) {
      throw badParameter(`A rotation policy can have at most one ${type} action.`);
    }
  }
  return expiryText === undefined ? { lifetimeActions: actions } : { expiryTime: expiryText, lifetimeActions: actions };
}

function lifetimeActionOf(entry: NonNullable<RotationPolicyRequest['lifetimeActions']>[number], index: number, expiry: IsoDuration | undefined): LifetimeAction {
  const where = `lifetimeActions[${index}]`;
  const type = actionTypeOf(entry.action?.type, where);
  const { timeAfterCreate, timeBeforeExpiry } = entry.trigger ?? {};
  if ((timeAfterCreate === undefined) === (timeBeforeExpiry === undefined)) {
    throw badParameter(`${where}.trigger must have exactly one of timeAfterCreate and timeBeforeExpiry.`);
  }
  if (timeAfterCreate !== undefined) {
    if (type !== 'Rotate') throw badParameter(`${where}: timeAfterCreate is only valid for a Rotate action, not for ${type}.`);
    const duration = durationOf(timeAfterCreate, `${where}.trigger.timeAfterCreate`);
    assertRotateTrigger(duration, expiry, where, 'timeAfterCreate');
    return { type, timeAfterCreate };
  }
  const text = timeBeforeExpiry as string;
  const duration = durationOf(text, `${where}.trigger.timeBeforeExpiry`);
  if (type === 'Rotate') {
    if (expiry === undefined) {
      throw badParameter(`${where}: a Rotate action on timeBeforeExpiry needs attributes.expiryTime, so that the versions it makes expire too.`);
    }
    assertRotateTrigger(duration, expiry, where, 'timeBeforeExpiry');
  }
  return { type, timeBeforeExpiry: text };
}

function actionTypeOf(type: string | undefined, where: string): LifetimeActionType {
  const lower = type?.toLowerCase();
  if (lower === 'rotate') return 'Rotate';
  if (lower === 'notify') return 'Notify';
  throw badParameter(`${where}.action.type must be Rotate or Notify${type === undefined ? '' : `, not '${type}'`}.`);
}

function durationOf(text: string, what: string): IsoDuration {
  const duration = parseIsoDuration(text);
  if (duration === undefined || maximumSeconds(duration) === 0) {
    throw badParameter(`${what} must be a positive ISO 8601 duration such as P90D, P3M, PT48H or P1Y10D; it is '${text}'.`);
  }
  if (minimumSeconds(duration) > MAX_DURATION_YEARS * 365 * DAY) {
    throw badParameter(`${what} must be at most ${MAX_DURATION_YEARS} years (P${MAX_DURATION_YEARS}Y); it is '${text}'.`);
  }
  return duration;
}

function assertRotateTrigger(duration: IsoDuration, expiry: IsoDuration | undefined, where: string, trigger: string): void {
  if (minimumSeconds(duration) < MIN_ROTATE_DAYS * DAY) {
    throw badParameter(`${where}.trigger.${trigger} of a Rotate action must be at least ${MIN_ROTATE_DAYS} days (P${MIN_ROTATE_DAYS}D).`);
  }
  if (expiry !== undefined && maximumSeconds(duration) + MIN_ROTATE_DAYS * DAY > minimumSeconds(expiry)) {
    throw badParameter(`${where}.trigger.${trigger} of a Rotate action must be at least ${MIN_ROTATE_DAYS} days shorter than attributes.expiryTime.`);
  }
}

/** The `exp` a version made now gets from the policy, if it sets one. */
export function expiryFor(policy: RotationPolicy | undefined, now: IntDate): IntDate | undefined {
  const expiry = policy?.expiryTime === undefined ? undefined : parseIsoDuration(policy.expiryTime);
  return expiry === undefined ? undefined : shiftIntDate(now, expiry);
}

/** When the action's trigger comes for a version (undefined: never, e.g. before-expiry of a version without exp). */
export function triggerTime(action: LifetimeAction, version: VersionTimes): IntDate | undefined {
  if (action.timeAfterCreate !== undefined) {
    const duration = parseIsoDuration(action.timeAfterCreate);
    return duration === undefined ? undefined : shiftIntDate(version.created, duration);
  }
  if (action.timeBeforeExpiry === undefined || version.exp === undefined) return undefined;
  const duration = parseIsoDuration(action.timeBeforeExpiry);
  return duration === undefined ? undefined : shiftIntDate(version.exp, duration, -1);
}

/** Whether the policy's action of this type has come for the version by `now`. */
export function isDue(policy: RotationPolicy, type: LifetimeActionType, version: VersionTimes, now: IntDate): boolean {
  const action = policy.lifetimeActions.find((candidate) => candidate.type === type);
  const at = action === undefined ? undefined : triggerTime(action, version);
  return at !== undefined && at <= now;
}

/** A key the scheduler looks at: its policy, its latest version's times, and what the scheduler already did. */
export interface RotationCandidate {
  readonly name: string;
  readonly policy: RotationPolicy;
  readonly latest: VersionTimes & { readonly version: string };
  /** The last version the scheduler rotated away from (rotation claims it, so it happens once). */
  readonly rotatedFrom?: string | undefined;
  /** The last version a near-expiry notification was made for. */
  readonly notifiedVersion?: string | undefined;
}
