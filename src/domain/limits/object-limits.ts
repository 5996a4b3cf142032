/**
 * Object limits (issue 12): how many keys, versions, custom role definitions and role assignments an instance
 * holds, with Managed HSM's published defaults, or Cloud HSM's handle model (`--limits cloudhsm`: 3,200 handles,
 * where an RSA or EC key takes two — its private and public objects — and an AES key one). The storage checks an
 * addition against them in the unit that makes it, under a lock (store.ts `KeyObjectLimits`), so concurrent
 * additions cannot overshoot; exceeding one is 409 Conflict (inner QuotaExceeded) naming the limit and its value.
 *
 * Soft-deleted keys count until they are purged (their names and material are still held); a new version of an
 * existing key adds no key; in the handle model every version of every key, deleted or not, takes its handles.
 */
import type { KeyFamily } from '../../crypto/key-material.ts';
import { objectLimitReached } from '../../errors/errors.ts';
import type { StrongroomError } from '../../errors/strongroom-error.ts';
import type { KeyObjectLimits, LimitRefusal } from '../../storage/store.ts';

export type LimitsModel = 'managedhsm' | 'cloudhsm';

export interface ObjectLimits {
  /** `managedhsm`: counts of keys and versions; `cloudhsm`: Cloud HSM's handle model. */
  model: LimitsModel;
  /** Keys per instance (managedhsm), or handles per instance (cloudhsm). */
  maxKeys: number;
  maxVersionsPerKey: number;
  maxCustomRoleDefinitions: number;
  maxRoleAssignmentsAtRoot: number;
  maxRoleAssignmentsPerKey: number;
}

/** Managed HSM's published defaults. */
export const MANAGED_HSM_OBJECT_LIMITS: ObjectLimits = {
  model: 'managedhsm',
  maxKeys: 5000,
  maxVersionsPerKey: 100,
  maxCustomRoleDefinitions: 50,
  maxRoleAssignmentsAtRoot: 50,
  maxRoleAssignmentsPerKey: 10,
};

/** Cloud HSM: 3,200 key handles per cluster; the role limits (which Cloud HSM has not) stay Managed HSM's. */
export const CLOUD_HSM_HANDLES = 3200;

/** Handles a key version takes in Cloud HSM's model: a key pair is two objects, a symmetric key one. */
export const HANDLES_PER_FAMILY: Readonly<Record<KeyFamily, number>> = { RSA: 2, EC: 2, oct: 1 };

/** The limits of a model (--max-keys and --max-versions-per-key then override maxKeys and maxVersionsPerKey). */
export function objectLimitsFor(model: LimitsModel): ObjectLimits {
  return model === 'cloudhsm' ? { ...MANAGED_HSM_OBJECT_LIMITS, model, maxKeys: CLOUD_HSM_HANDLES } : { ...MANAGED_HSM_OBJECT_LIMITS, model };
}

/** What storage checks a key addition against. */
export function keyObjectLimits(limits: ObjectLimits): KeyObjectLimits {
  return limits.model === 'cloudhsm'
    ? { maxVersionsPerKey: limits.maxVersionsPerKey, maxHandles: { limit: limits.maxKeys, costPerFamily: HANDLES_PER_FAMILY } }
    : { maxVersionsPerKey: limits.maxVersionsPerKey, maxKeys: limits.maxKeys };
}

/**
 * The most role assignments a scope may hold: `/`, `/keys` and `/secrets` (instance-wide) share Managed HSM's
 * HSM-scope figure; one key or one secret has the per-key figure.
 */
export function maxRoleAssignmentsAt(limits: ObjectLimits, scope: string): number {
  return scope.startsWith('/keys/') || scope.startsWith('/secrets/') ? limits.maxRoleAssignmentsPerKey : limits.maxRoleAssignmentsAtRoot;
}

/** The 409 of a refused key addition, naming the limit and its value. */
export function keyLimitError(refusal: LimitRefusal, name: string): StrongroomError {
  switch (refusal.refused) {
    case 'keys':
      return objectLimitReached(`The number of keys (${refusal.limit}) in this HSM has reached its limit; purge deleted keys or raise --max-keys.`);
    case 'versions':
      return objectLimitReached(`The number of versions (${refusal.limit}) of key ${name} has reached its limit (--max-versions-per-key).`);
    case 'handles':
      return objectLimitReached(`The number of key handles (${refusal.limit}) in this HSM has reached its limit: an RSA or EC key version takes 2, an AES key 1; purge deleted keys or raise --max-keys.`);
  }
}

export function roleDefinitionLimitError(limit: number): StrongroomError {
  return objectLimitReached(`The number of custom role definitions (${limit}) in this HSM has reached its limit.`);
}

export function roleAssignmentLimitError(limit: number, scope: string): StrongroomError {
  return objectLimitReached(`The number of role assignments (${limit}) at scope '${scope}' has reached its limit.`);
}
