/**
 * The `nbf`/`exp` window keys and secrets share: exp must come after nbf, and an update keeps a date it does not
 * name (undefined) and clears one it names as null.
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
