/**
 * Issue 11: which key of an attestation token's `x-ms-runtime.keys` a released key is wrapped for — an RSA key
 * marked for encryption first, an unmarked one next, never a signing key, 2048 to 8192 bits — and its kid.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { teeWrappingKey } from '../../../src/domain/keys/tee-wrapping-key.ts';

const rsa = (modulusLength = 2048) => generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ format: 'jwk' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });

test('an RSA key marked for encryption wins over an unmarked one; a signing key is never chosen', async () => {
  const [signing, unmarked, encrypting] = [rsa(), rsa(), rsa()];
  const keys = [{ ...ec, kid: 'ec' }, { ...signing, kid: 'sig', use: 'sig', key_ops: ['encrypt'] }, { ...unmarked, kid: 'plain' }, { ...encrypting, kid: 'TpmEphemeralEncryptionKey', key_ops: ['encrypt'] }];
  const chosen = await teeWrappingKey({ 'x-ms-runtime': { keys } });
  assert.equal(chosen.kid, 'TpmEphemeralEncryptionKey');
  assert.equal(chosen.publicKey.export({ format: 'jwk' }).n, encrypting.n);
  assert.equal((await teeWrappingKey({ 'x-ms-runtime': { keys: keys.slice(0, 3) } })).kid, 'plain');
  assert.equal((await teeWrappingKey({ 'x-ms-runtime': { keys: [{ ...encrypting, use: 'enc' }] } })).kid, await calculateJwkThumbprint({ kty: 'RSA', n: encrypting.n ?? '', e: encrypting.e ?? '' }), 'no kid: the RFC 7638 thumbprint');
});

test('no usable key, a malformed one, or a key of the wrong size: 400', async () => {
  for (const claims of [{}, { 'x-ms-runtime': 'keys' }, { 'x-ms-runtime': { keys: [{ ...ec }] } }, { 'x-ms-runtime': { keys: [{ ...rsa(), use: 'sig' }] } }]) {
    await assert.rejects(teeWrappingKey(claims), { code: 'BadParameter', message: /carries no RSA encryption key/ });
  }
  await assert.rejects(teeWrappingKey({ 'x-ms-runtime': { keys: [{ kty: 'RSA', n: '!!', e: 'AQAB' }] } }), { code: 'BadParameter', message: /not a valid RSA public key/ });
  await assert.rejects(teeWrappingKey({ 'x-ms-runtime': { keys: [rsa(1024)] } }), { code: 'BadParameter', message: /2048 to 8192 bits long; it has 1024/ });
});
