/**
 * Assertions on StrongroomErrors shared by the crypto unit tests.
 */
import assert from 'node:assert/strict';
import { cryptoOperationFailed } from '../../../src/errors/errors.ts';
import { isStrongroomError } from '../../../src/errors/strongroom-error.ts';

const GENERIC = cryptoOperationFailed();

/** Rejects with BadParameter whose message matches `pattern`. */
export async function rejectsBadParameter(run: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(isStrongroomError(error), `expected a StrongroomError, got ${String(error)}`);
    assert.equal(error.code, 'BadParameter');
    assert.match(error.message, pattern);
    return true;
  });
}

/** Rejects with exactly the generic crypto failure: same code, same message, no cause. */
export async function rejectsCryptoFailure(run: () => Promise<unknown>): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(isStrongroomError(error), `expected a StrongroomError, got ${String(error)}`);
    assert.equal(error.code, GENERIC.code);
    assert.equal(error.message, GENERIC.message);
    assert.equal(error.cause, undefined);
    return true;
  });
}
