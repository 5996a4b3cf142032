/** The rules of secret values and attributes (domain/secrets/secret-attributes.ts), without I/O. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StrongroomError } from '../../../src/errors/strongroom-error.ts';
import {
  assertReadable,
  assertValidSecretValue,
  MAX_SECRET_VALUE_BYTES,
  newSecretAttributes,
  secretAttributesPatch,
} from '../../../src/domain/secrets/secret-attributes.ts';

const badParameter = (pattern: RegExp) => (error: unknown) => error instanceof StrongroomError && error.code === 'BadParameter' && pattern.test(error.message);

test('a value is at most 25,600 bytes of UTF-8, counted in bytes, not characters', () => {
  assert.equal(MAX_SECRET_VALUE_BYTES, 25_600);
  assertValidSecretValue('🔐'.repeat(6_400)); // 4 bytes each: exactly the limit
  assert.throws(() => assertValidSecretValue(`${'🔐'.repeat(6_400)}x`), badParameter(/25601 bytes of UTF-8; the limit is 25600 bytes/));
  assert.throws(() => assertValidSecretValue('界'.repeat(8_534)), badParameter(/25602 bytes/));
});

test('any well-formed Unicode passes (emoji, CJK, combining marks, NUL, empty); a lone surrogate or a non-string does not', () => {
  for (const value of ['', '\u0000', 'e\u0301', '秘密', '👩🏽‍💻', 'a\u0000b\uFFFF']) assertValidSecretValue(value);
  assert.throws(() => assertValidSecretValue('a\uD800'), badParameter(/well-formed Unicode/));
  assert.throws(() => assertValidSecretValue('\uDC00b'), badParameter(/well-formed Unicode/));
  assert.throws(() => assertValidSecretValue(undefined), badParameter(/required/));
  assert.throws(() => assertValidSecretValue(42), badParameter(/required/));
});

test('new attributes: enabled by default, exp after nbf', () => {
  assert.deepEqual(newSecretAttributes(undefined, 100), { enabled: true, nbf: undefined, exp: undefined, created: 100, updated: 100 });
  assert.deepEqual(newSecretAttributes({ enabled: false, nbf: null, exp: 200 }, 100), { enabled: false, nbf: undefined, exp: 200, created: 100, updated: 100 });
  assert.throws(() => newSecretAttributes({ nbf: 50, exp: 50 }, 1), badParameter(/later than/));
});

test('an update patch: null clears, absent keeps, the window is checked against what stays', () => {
  const current = { name: 's', version: 'v', attributes: { enabled: true, nbf: 10, exp: 100, created: 1, updated: 1 } };
  assert.deepEqual(secretAttributesPatch(current, { attributes: { nbf: null }, contentType: 'c', tags: { a: 'b' } }, 5), {
    enabled: undefined, nbf: null, exp: undefined, contentType: 'c', tags: { a: 'b' }, updated: 5,
  });
  assert.throws(() => secretAttributesPatch(current, { attributes: { exp: 5 } }, 5), badParameter(/later than/));
  assert.throws(() => secretAttributesPatch(current, { attributes: { nbf: 100 } }, 5), badParameter(/later than/));
});

test('a value is readable only while enabled and inside [nbf, exp)', () => {
  const at = (enabled: boolean, nbf?: number, exp?: number) => ({ attributes: { enabled, nbf, exp, created: 0, updated: 0 } });
  const forbidden = (pattern: RegExp) => (error: unknown) => error instanceof StrongroomError && error.status === 403 && pattern.test(error.message);
  assertReadable(at(true), 50);
  assertReadable(at(true, 50, 60), 50);
  assert.throws(() => assertReadable(at(false), 50), forbidden(/^Operation get is not allowed on a disabled secret\.$/));
  assert.throws(() => assertReadable(at(true, 51), 50), forbidden(/not yet valid/));
  assert.throws(() => assertReadable(at(true, undefined, 50), 50), forbidden(/expired/));
});
