/**
 * The lifecycle attributes keys and secrets share: the `nbf`/`exp` window (exp after nbf; an update keeps a date
 * it does not name and clears one it names as null), and how `enabled`, the window, the times and the recovery
 * settings are rendered on the wire (Key Vault's KeyAttributes / SecretAttributes, common members).
 */
import { badParameter } from '../errors/errors.ts';
import type { IntDate } from '../lib/intdate.ts';

export function assertValidityWindow(nbf: IntDate | undefined, exp: IntDate | undefined): void {
  if (nbf !== undefined && exp !== undefined && exp <= nbf) {
    throw badParameter('The expiry time (exp) must be later than the activation time (nbf).');
  }
}

/** Checks the window an update would leave the version with. */
export function assertPatchedWindow(
  current: { nbf?: IntDate | undefined; exp?: IntDate | undefined },
  patch: { nbf?: IntDate | null | undefined; exp?: IntDate | null | undefined },
): void {
  const nbf = patch.nbf === undefined ? current.nbf : (patch.nbf ?? undefined);
  const exp = patch.exp === undefined ? current.exp : (patch.exp ?? undefined);
  assertValidityWindow(nbf, exp);
}

interface LifecycleAttributes {
  enabled: boolean;
  nbf?: IntDate | undefined;
  exp?: IntDate | undefined;
  created: IntDate;
  updated: IntDate;
}

/** The members every key and secret bundle's `attributes` carry, in Key Vault's order. */
export function wireLifecycleAttributes(attributes: LifecycleAttributes, retentionDays: number) {
  return {
    enabled: attributes.enabled,
    ...(attributes.nbf === undefined ? {} : { nbf: attributes.nbf }),
    ...(attributes.exp === undefined ? {} : { exp: attributes.exp }),
    created: attributes.created,
    updated: attributes.updated,
    recoverableDays: retentionDays,
    // Purge protection is off: a deleted key or secret can be purged by a caller before its retention ends.
    recoveryLevel: retentionDays === 90 ? 'Recoverable+Purgeable' : 'CustomizedRecoverable+Purgeable',
  };
}
