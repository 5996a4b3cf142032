/**
 * signDigest / verifyDigest: every signature algorithm on every curve and RSA size, checked independently
 * with Node's own crypto over the original message, plus the digest-length and key-mismatch errors.
 */
import assert from 'node:assert/strict';
import {
  constants,
  createHash,
  createHmac,
  createSign,
  publicDecrypt,
  randomBytes,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { describe, it } from 'node:test';
import { ALGORITHMS, HASH_LENGTH, type HashName } from '../../../src/crypto/algorithms.ts';
import { signDigest, verifyDigest } from '../../../src/crypto/operations.ts';
import { rejectsInvalidRequest } from './assertions.ts';
import {
  AES_SIZES_UNDER_TEST,
  detachedPublicKey,
  ecKey,
  octKey,
  RSA_SIZES_UNDER_TEST,
  rsaKey,
} from './key-fixtures.ts';

const ES = [
  { alg: 'ES256', curve: 'P-256', hash: 'sha256', size: 64 },
  { alg: 'ES256K', curve: 'P-256K', hash: 'sha256', size: 64 },
  { alg: 'ES384', curve: 'P-384', hash: 'sha384', size: 96 },
  { alg: 'ES512', curve: 'P-521', hash: 'sha512', size: 132 },
] as const;

const RSA_HASHED = [
  ['RS256', 'sha256'],
  ['RS384', 'sha384'],
  ['RS512', 'sha512'],
  ['PS256', 'sha256'],
  ['PS384', 'sha384'],
  ['PS512', 'sha512'],
] as const;

function digestOf(hash: HashName, message: Buffer): Buffer {
  return createHash(hash).update(message).digest();
}

describe('ECDSA (ES*)', () => {
  for (const { alg, curve, hash, size } of ES) {
    it(`${alg} on ${curve}: r||s of ${size} bytes that Node verifies over the message`, async () => {
      const key = await ecKey(curve);
      for (let round = 0; round < 8; round += 1) {
        const message = randomBytes(1 + round * 13);
        const signature = await signDigest(key, alg, digestOf(hash, message));
        assert.equal(signature.length, size);
        const publicKey = { key: key.publicKey, dsaEncoding: 'ieee-p1363' as const };
        assert.ok(nodeVerify(hash, message, publicKey, signature), 'Node rejects our signature');
        assert.ok(await verifyDigest(key, alg, digestOf(hash, message), signature));
      }
    });

    it(`${alg}: Node's signatures verify, tampered ones do not (false, not an error)`, async () => {
      const key = await ecKey(curve);
      const message = randomBytes(40);
      const digest = digestOf(hash, message);
      const signature = createSignature(hash, message, key.privateKey);
      assert.ok(await verifyDigest(key, alg, digest, signature));
      const flipped = Buffer.from(signature);
      flipped[5] = (flipped[5] ?? 0) ^ 0x01;
      assert.equal(await verifyDigest(key, alg, digest, flipped), false);
      assert.equal(await verifyDigest(key, alg, digest, signature.subarray(1)), false);
      assert.equal(await verifyDigest(key, alg, digest, Buffer.concat([signature, Buffer.alloc(1)])), false);
      assert.equal(await verifyDigest(key, alg, digest, Buffer.alloc(size)), false);
      assert.equal(await verifyDigest(key, alg, digest, Buffer.alloc(0)), false);
      assert.equal(await verifyDigest(key, alg, digestOf(hash, Buffer.from('other')), signature), false);
    });
  }

  it('never repeats a nonce: r differs across 200 signatures, of the same digest and of others', async () => {
    // The synchronous path reuses one OpenSSL signing context per key; a nonce carried over between calls
    // would leak the private key, so this guards that reuse.
    for (const { alg, curve, hash, size } of ES) {
      const key = await ecKey(curve);
      const seen = new Set<string>();
      const digest = digestOf(hash, Buffer.from('same digest'));
      for (let i = 0; i < 100; i += 1) {
        seen.add((await signDigest(key, alg, digest)).subarray(0, size / 2).toString('hex'));
        seen.add((await signDigest(key, alg, digestOf(hash, randomBytes(8)))).subarray(0, size / 2).toString('hex'));
      }
      assert.equal(seen.size, 200, `${alg}: an r value repeated`);
    }
  });

  it('verifies with a public key alone', async () => {
    const key = await ecKey('P-256');
    const digest = digestOf('sha256', Buffer.from('public only'));
    const signature = await signDigest(key, 'ES256', digest);
    const publicOnly = { ...key, publicKey: detachedPublicKey(key.publicKey) };
    assert.ok(await verifyDigest(publicOnly, 'ES256', digest, signature));
  });
});

/** A P1363 signature made by Node itself, over the message. */
function createSignature(hash: HashName, message: Buffer, privateKey: KeyObject): Buffer {
  return createSign(hash).update(message).sign({ key: privateKey, dsaEncoding: 'ieee-p1363' });
}

describe('RSA (RS*, PS*, RSNULL)', () => {
  for (const sizeBits of RSA_SIZES_UNDER_TEST) {
    for (const [alg, hash] of RSA_HASHED) {
      it(`${alg} with RSA-${sizeBits}: Node verifies the signature over the message`, async () => {
        const key = await rsaKey(sizeBits);
        const message = randomBytes(77);
        const signature = await signDigest(key, alg, digestOf(hash, message));
        assert.equal(signature.length, sizeBits / 8);
        const options = alg.startsWith('PS')
          ? { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LENGTH[hash] }
          : { key: key.publicKey, padding: constants.RSA_PKCS1_PADDING };
        assert.ok(nodeVerify(hash, message, options, signature), 'Node rejects our signature');
        assert.ok(await verifyDigest(key, alg, digestOf(hash, message), signature));
        const tampered = Buffer.from(signature);
        tampered[10] = (tampered[10] ?? 0) ^ 0x80;
        assert.equal(await verifyDigest(key, alg, digestOf(hash, message), tampered), false);
        assert.equal(await verifyDigest(key, alg, digestOf(hash, message), signature.subarray(2)), false);
      });
    }

    it(`RSNULL with RSA-${sizeBits}: PKCS#1 v1.5 type 1 over the raw value, up to k-11 bytes`, async () => {
      const key = await rsaKey(sizeBits);
      const k = sizeBits / 8;
      for (const length of [1, 35, k - 11]) {
        const value = randomBytes(length);
        const signature = await signDigest(key, 'RSNULL', value);
        const recovered = publicDecrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
        assert.deepEqual(recovered, value);
        assert.ok(await verifyDigest(key, 'RSNULL', value, signature));
        // Another value of the same length (a random one would equal a 1-byte value once in 256 runs).
        const other = Buffer.from(value);
        other[0] = (other[0] ?? 0) ^ 0x01;
        assert.equal(await verifyDigest(key, 'RSNULL', other, signature), false);
      }
      await rejectsInvalidRequest(
        () => signDigest(key, 'RSNULL', randomBytes(k - 10)),
        new RegExp(`1 to ${k - 11} bytes`),
      );
      await rejectsInvalidRequest(() => signDigest(key, 'RSNULL', Buffer.alloc(0)), /RSNULL signs 1 to/);
    });
  }

  it('RS256 is deterministic and PS256 is not', async () => {
    const key = await rsaKey(2048);
    const digest = digestOf('sha256', Buffer.from('determinism'));
    assert.deepEqual(await signDigest(key, 'RS256', digest), await signDigest(key, 'RS256', digest));
    assert.notDeepEqual(await signDigest(key, 'PS256', digest), await signDigest(key, 'PS256', digest));
  });

  it('verifies with a public key alone', async () => {
    const key = await rsaKey(2048);
    const digest = digestOf('sha384', Buffer.from('public only'));
    const signature = await signDigest(key, 'PS384', digest);
    const publicOnly = { ...key, publicKey: detachedPublicKey(key.publicKey) };
    assert.ok(await verifyDigest(publicOnly, 'PS384', digest, signature));
  });

  it('a PKCS#1 v1.5 signature does not pass as PSS, nor the reverse', async () => {
    const key = await rsaKey(2048);
    const digest = digestOf('sha256', Buffer.from('scheme confusion'));
    assert.equal(await verifyDigest(key, 'PS256', digest, await signDigest(key, 'RS256', digest)), false);
    assert.equal(await verifyDigest(key, 'RS256', digest, await signDigest(key, 'PS256', digest)), false);
  });
});

describe('HMAC (HS*)', () => {
  for (const sizeBits of AES_SIZES_UNDER_TEST) {
    for (const [alg, hash] of [
      ['HS256', 'sha256'],
      ['HS384', 'sha384'],
      ['HS512', 'sha512'],
    ] as const) {
      it(`${alg} with a ${sizeBits}-bit key is the HMAC of the supplied value`, async () => {
        const key = await octKey(sizeBits);
        const value = randomBytes(HASH_LENGTH[hash]);
        const mac = await signDigest(key, alg, value);
        assert.deepEqual(mac, createHmac(hash, key.secretKey).update(value).digest());
        assert.ok(await verifyDigest(key, alg, value, mac));
        assert.equal(await verifyDigest(key, alg, value, mac.subarray(1)), false);
        assert.equal(await verifyDigest(key, alg, randomBytes(HASH_LENGTH[hash]), mac), false);
      });
    }
  }
});

describe('digest length and key checks', () => {
  it('refuses a digest of the wrong length for every hashed algorithm, on sign and verify', async () => {
    const keys = { EC: await ecKey('P-256'), RSA: await rsaKey(2048), oct: await octKey(256) };
    const ecKeys = {
      'P-256': keys.EC,
      'P-256K': await ecKey('P-256K'),
      'P-384': await ecKey('P-384'),
      'P-521': await ecKey('P-521'),
    };
    for (const algorithm of Object.values(ALGORITHMS)) {
      if (algorithm.kind !== 'signature' || algorithm.digestLength === undefined) continue;
      const key = algorithm.curve === undefined ? keys[algorithm.family] : ecKeys[algorithm.curve];
      const wrong = Buffer.alloc(algorithm.digestLength + 1);
      const pattern = new RegExp(
        `${algorithm.name} takes a ${algorithm.digestLength}-byte digest; this one is ${wrong.length} bytes`,
      );
      await rejectsInvalidRequest(() => signDigest(key, algorithm.name, wrong), pattern);
      await rejectsInvalidRequest(() => verifyDigest(key, algorithm.name, wrong, Buffer.alloc(64)), pattern);
      await rejectsInvalidRequest(() => signDigest(key, algorithm.name, Buffer.alloc(0)), /this one is 0 bytes/);
    }
  });

  it('names the mismatch between algorithm and key', async () => {
    const p256 = await ecKey('P-256');
    await rejectsInvalidRequest(
      () => signDigest(p256, 'ES384', Buffer.alloc(48)),
      /^Algorithm ES384 needs a P-384 key; this key is P-256\.$/,
    );
    await rejectsInvalidRequest(
      () => signDigest(p256, 'ES256K', Buffer.alloc(32)),
      /needs a P-256K key; this key is P-256/,
    );
    await rejectsInvalidRequest(
      () => signDigest(p256, 'RS256', Buffer.alloc(32)),
      /RS256 needs an RSA key; this key is EC/,
    );
    const rsa = await rsaKey(2048);
    const oct = await octKey(128);
    await rejectsInvalidRequest(() => signDigest(rsa, 'HS256', Buffer.alloc(32)), /needs an oct key; this key is RSA/);
    await rejectsInvalidRequest(() => signDigest(oct, 'ES256', Buffer.alloc(32)), /needs an EC key; this key is oct/);
    await rejectsInvalidRequest(
      () => signDigest(p256, 'RSA-OAEP', Buffer.alloc(32)),
      /RSA-OAEP cannot be used for sign/,
    );
    await rejectsInvalidRequest(() => signDigest(p256, 'ES255', Buffer.alloc(32)), /algorithm ES255 is not supported/);
    await rejectsInvalidRequest(() => signDigest(p256, 'es256', Buffer.alloc(32)), /not supported/);
    await rejectsInvalidRequest(() => signDigest(p256, '__proto__', Buffer.alloc(32)), /not supported/);
  });
});
