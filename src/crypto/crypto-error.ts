/**
 * The one error type the crypto layer throws. It knows nothing of HTTP or of Key Vault's wire codes: the
 * operation kernel maps it to the envelope at its edge (`domain/kernel/wire-errors.ts`).
 *
 * Two kinds, and only two, because a caller must never learn more than that from a failure:
 * - `invalid-request`: a fault the caller can see for themselves (unknown algorithm, wrong key type, a digest
 *   of the wrong length, a missing iv); the message names it, and never carries key bytes or payloads.
 * - `operation-failed`: anything that went wrong while decrypting, unwrapping or checking integrity. Always the
 *   same message, whatever the cause, so that no padding or tag oracle exists (RFC 7516 §11.5, RFC 8017 §7.1.2).
 */
export type CryptoFailure = 'invalid-request' | 'operation-failed';

export class CryptoError extends Error {
  readonly failure: CryptoFailure;

  constructor(failure: CryptoFailure, message: string) {
    super(message);
    this.name = 'CryptoError';
    this.failure = failure;
  }
}

export const CRYPTO_OPERATION_FAILED_MESSAGE = 'The cryptographic operation failed.';

export const invalidCryptoRequest = (message: string): CryptoError => new CryptoError('invalid-request', message);

export const cryptoOperationFailed = (): CryptoError => new CryptoError('operation-failed', CRYPTO_OPERATION_FAILED_MESSAGE);

export function isCryptoError(value: unknown): value is CryptoError {
  return value instanceof CryptoError;
}
