/**
 * Assertions on the CryptoErrors the crypto layer throws, shared by the crypto unit tests and the vector runners.
 */
import assert from 'node:assert/strict';
import { cryptoOperationFailed, isCryptoError } from '../../../src/crypto/crypto-error.ts';

const GENERIC = cryptoOperationFailed();

/** The message of the invalid-request CryptoError `run` throws (synchronously); fails on anything else. */
export function invalidRequestMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(isCryptoError(error), `expected a CryptoError, got ${String(error)}`);
    assert.equal(error.failure, 'invalid-request');
    return error.message;
  }
  assert.fail('expected an invalid-request CryptoError');
}

/** Rejects with an invalid-request CryptoError whose message matches `pattern`. */
export async function rejectsInvalidRequest(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(isCryptoError(error), `expected a CryptoError, got ${String(error)}`);
    assert.equal(error.failure, 'invalid-request');
    assert.match(error.message, pattern);
    return true;
  });
}

/** Rejects with exactly the generic crypto failure: same kind, same message, no cause. */
export async function rejectsCryptoFailure(run: () => Promise<unknown>): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(isCryptoError(error), `expected a CryptoError, got ${String(error)}`);
    assert.equal(error.failure, GENERIC.failure);
    assert.equal(error.message, GENERIC.message);
    assert.equal(error.cause, undefined);
    return true;
  });
}
