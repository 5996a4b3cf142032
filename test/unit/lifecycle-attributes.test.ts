/** The nbf/exp window of keys and secrets: exp after nbf, on create and after an update's partial change. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertPatchedWindow, assertValidityWindow } from '../../src/domain/lifecycle-attributes.ts';

const refused = { code: 'BadParameter', message: 'The expiry time (exp) must be later than the activation time (nbf).' };

test('exp must come after nbf; either alone is fine', () => {
  assertValidityWindow(100, 101);
  assertValidityWindow(undefined, 5);
  assertValidityWindow(5, undefined);
  assert.throws(() => assertValidityWindow(100, 100), refused);
  assert.throws(() => assertValidityWindow(100, 99), refused);
});

test('an update keeps the dates it does not name and clears those it names as null', () => {
  const current = { nbf: 100, exp: 200 };
  assertPatchedWindow(current, { exp: 150 });
  assert.throws(() => assertPatchedWindow(current, { exp: 50 }), refused, 'the kept nbf still counts');
  assert.throws(() => assertPatchedWindow(current, { nbf: 300 }), refused, 'the kept exp still counts');
  assertPatchedWindow(current, { nbf: 300, exp: null });
  assertPatchedWindow({}, { nbf: 10 });
});
