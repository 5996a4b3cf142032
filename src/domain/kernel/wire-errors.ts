/**
 * The kernel's edge: whatever a lower layer throws becomes the one error type callers see. The crypto layer
 * throws its own `CryptoError`; both of its kinds are Key Vault's `BadParameter` (Key Vault answers a failed
 * decrypt with 400, and the message of `operation-failed` is the same whatever went wrong).
 */
import { isCryptoError } from '../../crypto/crypto-error.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';

export function toWireError(error: unknown): unknown {
  if (isCryptoError(error)) return new StrongroomError('BadParameter', error.message);
  return error;
}
