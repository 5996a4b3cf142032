/**
 * The native addon's contract as the TypeScript layer relies on it: it loads with implicit rejection on, one
 * handle per KeyObject, argument faults are TypeErrors, operation failures carry one code, malformed ECDSA
 * signatures are simply invalid, and a failure leaves OpenSSL's error queue clean for Node's own crypto.
 */
import assert from 'node:assert/strict';
import {
  createHash,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign,
  constants,
} from 'node:crypto';
import { describe, it } from 'node:test';
import { nativeKeyFor } from '../../../src/crypto/native-keys.ts';
import { DIGEST_ID, NATIVE_OPERATION_FAILED, nativeAddon, RSA_PADDING, SIGN_MODE } from '../../../src/crypto/native.ts';
import { ecKey, rsaKey } from './key-fixtures.ts';

/** Orders of the curves, for signatures with r or s out of range. */
const ORDER = {
  'P-256': 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  'P-384': 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
} as const;

describe('native addon', () => {
  it('loads with OpenSSL 3.2+ and implicit rejection', () => {
    const addon = nativeAddon();
    assert.match(addon.opensslVersion, /^OpenSSL 3\.([2-9]|\d\d)/);
    assert.equal(addon.implicitRejection, true);
  });

  it('parses each KeyObject once and keeps private and public handles apart', async () => {
    const key = await ecKey('P-256');
    assert.equal(nativeKeyFor(key.privateKey), nativeKeyFor(key.privateKey));
    assert.notEqual(nativeKeyFor(key.privateKey), nativeKeyFor(key.publicKey));
    assert.equal(nativeKeyFor(key.privateKey).isPrivate, true);
    assert.equal(nativeKeyFor(key.publicKey).isPrivate, false);
  });

  it('refuses bad DER, other key types and private operations on public keys with TypeErrors', async () => {
    const { NativeKey } = nativeAddon();
    assert.throws(() => new NativeKey(randomBytes(64), 'pkcs8'), TypeError);
    assert.throws(() => new NativeKey(Buffer.alloc(0), 'spki'), TypeError);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' });
    assert.throws(() => new NativeKey(ed, 'pkcs8'), /not a supported RSA or EC key/);
    const ec = await ecKey('P-256');
    const der = ec.privateKey.export({ format: 'der', type: 'pkcs8' });
    assert.throws(() => new NativeKey(Buffer.concat([der, Buffer.alloc(1)]), 'pkcs8'), TypeError, 'trailing bytes');
    const publicHandle = nativeKeyFor(ec.publicKey);
    assert.throws(
      () => publicHandle.signDigest(SIGN_MODE.ecdsa, DIGEST_ID.none, randomBytes(32)),
      /needs a private key/,
    );
    const handle = nativeKeyFor(ec.privateKey);
    assert.throws(() => handle.signDigest(9 as never, DIGEST_ID.none, randomBytes(32)), TypeError);
    assert.throws(() => handle.signDigest(SIGN_MODE.ecdsa, DIGEST_ID.none, 'text' as never), TypeError);
    assert.throws(() => handle.signDigest(SIGN_MODE.ecdsa, DIGEST_ID.none, Buffer.alloc(0)), TypeError);
  });

  it('reports operation failures with one code and no OpenSSL text', async () => {
    const ec = await ecKey('P-256');
    const handle = nativeKeyFor(ec.privateKey);
    // An RSA mode on an EC key is an operation the key cannot do.
    assert.throws(
      () => handle.signDigest(SIGN_MODE.rsaPkcs1, DIGEST_ID.sha256, randomBytes(32)),
      (error: Error & { code?: string }) =>
        error.code === NATIVE_OPERATION_FAILED && !/error:|:lib\(/.test(error.message),
    );
    const rsa = await rsaKey(2048);
    await assert.rejects(
      nativeKeyFor(rsa.privateKey).rsaDecryptAsync(RSA_PADDING.oaep, DIGEST_ID.sha1, randomBytes(256)),
      (error: Error & { code?: string }) => error.code === NATIVE_OPERATION_FAILED,
    );
  });

  it('leaves the OpenSSL error queue clean for Node after a failure', async () => {
    const rsa = await rsaKey(2048);
    const handle = nativeKeyFor(rsa.privateKey);
    assert.throws(() => handle.rsaDecrypt(RSA_PADDING.oaep, DIGEST_ID.sha256, randomBytes(256)));
    const plaintext = randomBytes(20);
    const ciphertext = publicEncrypt({ key: rsa.publicKey, oaepHash: 'sha256' }, plaintext);
    assert.deepEqual(privateDecrypt({ key: rsa.privateKey, oaepHash: 'sha256' }, ciphertext), plaintext);
    assert.ok(sign('sha256', plaintext, rsa.privateKey).length === 256);
  });

  it('sync and async RSA paths agree', async () => {
    const rsa = await rsaKey(2048);
    const handle = nativeKeyFor(rsa.privateKey);
    const digest = createHash('sha256').update('agree').digest();
    assert.deepEqual(
      handle.signDigest(SIGN_MODE.rsaPkcs1, DIGEST_ID.sha256, digest),
      await handle.signDigestAsync(SIGN_MODE.rsaPkcs1, DIGEST_ID.sha256, digest),
    );
    const ciphertext = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_PADDING }, digest);
    assert.deepEqual(handle.rsaDecrypt(RSA_PADDING.pkcs1, DIGEST_ID.none, ciphertext), digest);
    assert.deepEqual(await handle.rsaDecryptAsync(RSA_PADDING.pkcs1, DIGEST_ID.none, ciphertext), digest);
  });

  it('runs many RSA jobs on one key concurrently on the thread pool, all correct', async () => {
    const rsa = await rsaKey(2048);
    const handle = nativeKeyFor(rsa.privateKey);
    const digest = createHash('sha256').update('concurrent').digest();
    const expected = handle.signDigest(SIGN_MODE.rsaPkcs1, DIGEST_ID.sha256, digest);
    const plaintext = randomBytes(24);
    const ciphertext = publicEncrypt({ key: rsa.publicKey, oaepHash: 'sha256' }, plaintext);
    const signatures = Array.from({ length: 24 }, () =>
      handle.signDigestAsync(SIGN_MODE.rsaPkcs1, DIGEST_ID.sha256, digest),
    );
    const plaintexts = Array.from({ length: 24 }, () =>
      handle.rsaDecryptAsync(RSA_PADDING.oaep, DIGEST_ID.sha256, ciphertext),
    );
    for (const signature of await Promise.all(signatures)) assert.deepEqual(signature, expected);
    for (const recovered of await Promise.all(plaintexts)) assert.deepEqual(recovered, plaintext);
  });

  for (const curve of ['P-256', 'P-384'] as const) {
    it(`${curve}: r or s of zero or equal to the order is invalid, not an error`, async () => {
      const key = await ecKey(curve);
      const half = curve === 'P-256' ? 32 : 48;
      const digest = randomBytes(half);
      const handle = nativeKeyFor(key.publicKey);
      const valid = nativeKeyFor(key.privateKey).signDigest(SIGN_MODE.ecdsa, DIGEST_ID.none, digest);
      assert.ok(handle.verifyDigest(SIGN_MODE.ecdsa, DIGEST_ID.none, digest, valid));
      const r = valid.subarray(0, half);
      const s = valid.subarray(half);
      const n = Buffer.from(ORDER[curve], 'hex');
      const zero = Buffer.alloc(half);
      for (const bad of [
        [zero, s],
        [r, zero],
        [zero, zero],
        [n, s],
        [r, n],
        [Buffer.alloc(half, 0xff), s],
      ]) {
        assert.equal(handle.verifyDigest(SIGN_MODE.ecdsa, DIGEST_ID.none, digest, Buffer.concat(bad)), false);
      }
    });
  }
});
