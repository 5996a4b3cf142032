/**
 * The kernel's edge: whatever a lower layer throws becomes the one error type callers see.
 *
 * - The crypto layer's `CryptoError`: both kinds are Key Vault's `BadParameter` (Key Vault answers a failed
 *   decrypt with 400, and the message of `operation-failed` is the same whatever went wrong).
 * - A locked root of trust: 503 ServiceUnavailable; nothing can be sealed or opened until it is unsealed.
 * - A store that stayed busy: 503 with Retry-After; nothing was written.
 * StrongroomErrors pass as they are; anything else is a bug and the error handler answers 500.
 */
import { isCryptoError } from '../../crypto/crypto-error.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import { isRootOfTrustLocked } from '../../keystore/root-of-trust.ts';
import { isStoreBusy } from '../../storage/store-errors.ts';

export function toWireError(error: unknown): unknown {
  if (isCryptoError(error)) return new StrongroomError('BadParameter', error.message);
  if (isRootOfTrustLocked(error)) {
    return new StrongroomError('ServiceUnavailable', 'The key store is locked: the security domain of this instance is not activated or not unsealed.', {
      headers: { 'retry-after': '10' },
    });
  }
  if (isStoreBusy(error)) {
    return new StrongroomError('ServiceUnavailable', 'The service is busy; retry the request.', { headers: { 'retry-after': '1' } });
  }
  return error;
}

export const conflictAfterRetries = (): StrongroomError =>
  new StrongroomError('Conflict', 'The object was changed by another request at the same time; retry the request.');

/** What every key operation answers while the instance waits for its security domain. */
export const awaitingActivation = (): StrongroomError =>
  new StrongroomError(
    'ServiceUnavailable',
    'The instance awaits activation: download its security domain (POST /securitydomain/download) or upload an existing one (POST /securitydomain/upload).',
    { headers: { 'retry-after': '10' } },
  );
