/**
 * Decrypt and unwrap must not be oracles: every failure, whatever its cause, is the same cryptoOperationFailed()
 * (same kind, same message, no cause attached), and GCM never releases plaintext whose tag failed.
 * RSA1_5 is the exception by design: with OpenSSL's implicit rejection a corrupted ciphertext decrypts to a
 * deterministic pseudo-random message instead of failing, so success and failure look alike.
 */
import assert from 'node:assert/strict';
import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { isCryptoError } from '../../../src/crypto/crypto-error.ts';
import { exportPrivateBytes } from '../../../src/crypto/key-encoding.ts';
import { decrypt, encrypt, unwrapKey, wrapKey } from '../../../src/crypto/operations.ts';
import { rejectsCryptoFailure } from './assertions.ts';
import { octKey, rsaKey } from './key-fixtures.ts';

function flip(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

describe('AES-GCM tampering', () => {
  it('a changed tag, ciphertext, aad or iv, or a truncated tag, fails the same way', async () => {
    const key = await octKey(256);
    const plaintext = randomBytes(48);
    const aad = randomBytes(20);
    const { ciphertext, iv, tag } = await encrypt(key, 'A256GCM', { plaintext, aad });
    if (iv === undefined || tag === undefined) throw new Error('GCM must return iv and tag');
    const cases = [
      { ciphertext, iv, aad, tag: flip(tag, 15) },
      { ciphertext: flip(ciphertext, 0), iv, aad, tag },
      { ciphertext: ciphertext.subarray(1), iv, aad, tag },
      { ciphertext, iv, aad: flip(aad, 3), tag },
      { ciphertext, iv, tag }, // aad dropped
      { ciphertext, iv: flip(iv, 11), aad, tag },
      { ciphertext, iv, aad, tag: tag.subarray(0, 12) }, // truncated tag
      { ciphertext, iv, aad, tag: tag.subarray(0, 15) },
    ];
    for (const input of cases) await rejectsCryptoFailure(() => decrypt(key, 'A256GCM', input));
    assert.deepEqual(await decrypt(key, 'A256GCM', { ciphertext, iv, aad, tag }), plaintext);
  });
});

describe('AES-CBC failures', () => {
  it('bad PKCS#7 padding and unaligned ciphertexts fail the same way', async () => {
    const key = await octKey(128);
    const iv = randomBytes(16);
    const { ciphertext } = await encrypt(key, 'A128CBCPAD', { plaintext: randomBytes(20), iv });
    let failures = 0;
    // Changing the next-to-last block garbles the padding byte in most cases; any failure must be the generic one.
    for (let value = 0; value < 32; value += 1) {
      const tampered = Buffer.from(ciphertext);
      tampered[15] = value;
      try {
        await decrypt(key, 'A128CBCPAD', { ciphertext: tampered, iv });
      } catch (error) {
        assert.ok(isCryptoError(error));
        assert.equal(error.failure, 'operation-failed');
        assert.equal(error.message, 'The cryptographic operation failed.');
        failures += 1;
      }
    }
    assert.ok(failures > 0);
    await rejectsCryptoFailure(() => decrypt(key, 'A128CBCPAD', { ciphertext: ciphertext.subarray(1), iv }));
    await rejectsCryptoFailure(() => decrypt(key, 'A128CBC', { ciphertext: randomBytes(17), iv }));
    await rejectsCryptoFailure(() => decrypt(key, 'A128CBCPAD', { ciphertext: Buffer.alloc(0), iv }));
  });
});

describe('AES key-wrap integrity', () => {
  for (const alg of ['A128KW', 'CKM_AES_KEY_WRAP', 'CKM_AES_KEY_WRAP_PAD']) {
    it(`${alg}: a changed, shortened or misaligned wrapped key fails the same way`, async () => {
      const key = await octKey(128);
      const wrapped = await wrapKey(key, alg, randomBytes(24));
      for (const bad of [
        flip(wrapped, 0),
        flip(wrapped, wrapped.length - 1),
        wrapped.subarray(8),
        wrapped.subarray(1),
        Buffer.alloc(8),
      ]) {
        await rejectsCryptoFailure(() => unwrapKey(key, alg, bad));
        await rejectsCryptoFailure(() => decrypt(key, alg, { ciphertext: bad }));
      }
      // The wrong key: A128KW would refuse a 192-bit key up front, so its size-free twin stands in.
      const otherKey = await octKey(192);
      const sizeFreeAlg = alg === 'A128KW' ? 'CKM_AES_KEY_WRAP' : alg;
      await rejectsCryptoFailure(() => unwrapKey(otherKey, sizeFreeAlg, wrapped));
    });
  }
});

describe('RSA decryption failures', () => {
  for (const alg of ['RSA-OAEP', 'RSA-OAEP-256']) {
    it(`${alg}: corrupted or wrong-length ciphertexts fail the same way`, async () => {
      const key = await rsaKey(2048);
      const { ciphertext } = await encrypt(key, alg, { plaintext: randomBytes(32) });
      for (const bad of [
        flip(ciphertext, 100),
        flip(ciphertext, 255),
        ciphertext.subarray(1),
        Buffer.concat([ciphertext, Buffer.alloc(1)]),
      ]) {
        await rejectsCryptoFailure(() => decrypt(key, alg, { ciphertext: bad }));
        await rejectsCryptoFailure(() => unwrapKey(key, alg, bad));
      }
      const otherAlg = alg === 'RSA-OAEP' ? 'RSA-OAEP-256' : 'RSA-OAEP';
      await rejectsCryptoFailure(() => decrypt(key, otherAlg, { ciphertext }));
    });
  }

  it('RSA1_5: a corrupted ciphertext yields a deterministic synthetic message, never a distinguishable error', async () => {
    const key = await rsaKey(2048);
    const plaintext = randomBytes(32);
    const ciphertext = publicEncrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, plaintext);
    assert.deepEqual(await decrypt(key, 'RSA1_5', { ciphertext }), plaintext);
    const outputs = new Set<string>();
    for (const index of [0, 1, 2, 10, 128, 255]) {
      const corrupted = flip(ciphertext, index);
      const first = await decrypt(key, 'RSA1_5', { ciphertext: corrupted });
      const again = await unwrapKey(key, 'RSA1_5', corrupted);
      assert.notDeepEqual(first, plaintext);
      assert.deepEqual(again, first, 'implicit rejection must be deterministic per ciphertext');
      assert.ok(first.length <= 256 - 11);
      outputs.add(first.toString('hex'));
    }
    assert.equal(outputs.size, 6, 'each corrupted ciphertext maps to its own synthetic message');
  });

  it('RSA1_5: a ciphertext that is not exactly k bytes is a plain failure (its length is public)', async () => {
    const key = await rsaKey(2048);
    const { ciphertext } = await encrypt(key, 'RSA1_5', { plaintext: randomBytes(16) });
    await rejectsCryptoFailure(() => decrypt(key, 'RSA1_5', { ciphertext: ciphertext.subarray(1) }));
    await rejectsCryptoFailure(() => decrypt(key, 'RSA1_5', { ciphertext: Buffer.alloc(0) }));
  });
});

describe('errors carry no key material', () => {
  it('the failure error, fully inspected, contains none of the key or plaintext bytes', async () => {
    const key = await octKey(256);
    const secret = exportPrivateBytes(key);
    const plaintext = Buffer.from('a very recognisable plaintext!!!');
    const { ciphertext, iv, tag } = await encrypt(key, 'A256GCM', { plaintext });
    if (tag === undefined) throw new Error('GCM must return a tag');
    const error = await decrypt(key, 'A256GCM', { ciphertext, iv: iv ?? Buffer.alloc(12), tag: flip(tag, 0) }).catch(
      (caught: unknown) => caught,
    );
    const text = inspect(error, { depth: 10, showHidden: true });
    for (const encoding of ['hex', 'base64', 'base64url'] as const) {
      assert.ok(!text.includes(secret.toString(encoding)));
      assert.ok(!text.includes(plaintext.toString(encoding)));
    }
    assert.ok(!text.includes(plaintext.toString('utf8')));
  });
});
