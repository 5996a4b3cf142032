/**
 * encrypt / decrypt / wrapKey / unwrapKey: round trips for every cipher algorithm and key size, interop with
 * Node's publicEncrypt, RSA single-block limits, iv/aad/tag rules, CBC alignment and key-wrap input checks.
 * Tamper and oracle behaviour lives in no-oracle.test.ts.
 */
import assert from 'node:assert/strict';
import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ALGORITHMS, type CipherAlgorithm } from '../../../src/crypto/algorithms.ts';
import type { OctMaterial } from '../../../src/crypto/key-material.ts';
import { decrypt, encrypt, unwrapKey, wrapKey } from '../../../src/crypto/operations.ts';
import { rejectsInvalidRequest } from './assertions.ts';
import { AES_SIZES_UNDER_TEST, octKey, RSA_SIZES_UNDER_TEST, rsaKey } from './key-fixtures.ts';

const RSA_CIPHERS = [
  { alg: 'RSA-OAEP-256', overhead: 66, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
  { alg: 'RSA-OAEP', overhead: 42, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
  { alg: 'RSA1_5', overhead: 11, padding: constants.RSA_PKCS1_PADDING, oaepHash: undefined },
] as const;

function aesAlgorithmsFor(sizeBits: number): CipherAlgorithm[] {
  return Object.values(ALGORITHMS).filter(
    (algorithm): algorithm is CipherAlgorithm =>
      algorithm.kind === 'cipher' && algorithm.family === 'oct' && (algorithm.aesKeyBits ?? sizeBits) === sizeBits,
  );
}

describe('RSA encryption', () => {
  for (const sizeBits of RSA_SIZES_UNDER_TEST) {
    for (const { alg, overhead, padding, oaepHash } of RSA_CIPHERS) {
      const max = sizeBits / 8 - overhead;
      it(`${alg} with RSA-${sizeBits}: round trips up to k-${overhead} = ${max} bytes, refuses more`, async () => {
        const key = await rsaKey(sizeBits);
        for (const length of [1, 32, max]) {
          const plaintext = randomBytes(length);
          const { ciphertext, iv, tag } = await encrypt(key, alg, { plaintext });
          assert.equal(ciphertext.length, sizeBits / 8);
          assert.equal(iv, undefined);
          assert.equal(tag, undefined);
          assert.deepEqual(await decrypt(key, alg, { ciphertext }), plaintext);
          assert.deepEqual(await unwrapKey(key, alg, await wrapKey(key, alg, plaintext)), plaintext);
        }
        const tooLong = new RegExp(
          `${alg} encrypts at most ${max} bytes with a ${sizeBits}-bit key; got ${max + 1} bytes`,
        );
        await rejectsInvalidRequest(() => encrypt(key, alg, { plaintext: randomBytes(max + 1) }), tooLong);
        await rejectsInvalidRequest(() => wrapKey(key, alg, randomBytes(max + 1)), tooLong);
      });

      it(`${alg} with RSA-${sizeBits}: decrypts what Node's publicEncrypt produced`, async () => {
        const key = await rsaKey(sizeBits);
        for (let round = 0; round < 4; round += 1) {
          const plaintext = randomBytes(1 + round * 20);
          const options =
            oaepHash === undefined ? { key: key.publicKey, padding } : { key: key.publicKey, padding, oaepHash };
          const ciphertext = publicEncrypt(options, plaintext);
          assert.deepEqual(await decrypt(key, alg, { ciphertext }), plaintext);
          assert.deepEqual(await unwrapKey(key, alg, ciphertext), plaintext);
        }
      });
    }
  }

  it('encrypts with an empty plaintext (OAEP allows it)', async () => {
    const key = await rsaKey(2048);
    const { ciphertext } = await encrypt(key, 'RSA-OAEP-256', { plaintext: Buffer.alloc(0) });
    assert.equal((await decrypt(key, 'RSA-OAEP-256', { ciphertext })).length, 0);
  });

  it('refuses iv, aad and tag, which RSA does not take', async () => {
    const key = await rsaKey(2048);
    const plaintext = randomBytes(16);
    await rejectsInvalidRequest(
      () => encrypt(key, 'RSA-OAEP', { plaintext, iv: randomBytes(16) }),
      /does not take the 'iv'/,
    );
    await rejectsInvalidRequest(
      () => encrypt(key, 'RSA-OAEP', { plaintext, aad: randomBytes(4) }),
      /does not take the 'aad'/,
    );
    const { ciphertext } = await encrypt(key, 'RSA-OAEP', { plaintext });
    await rejectsInvalidRequest(
      () => decrypt(key, 'RSA-OAEP', { ciphertext, tag: randomBytes(16) }),
      /does not take the 'tag'/,
    );
  });
});

describe('AES round trips', () => {
  for (const sizeBits of AES_SIZES_UNDER_TEST) {
    for (const algorithm of aesAlgorithmsFor(sizeBits)) {
      it(`${algorithm.name} with a ${sizeBits}-bit key`, async () => {
        const key = await octKey(sizeBits);
        for (const length of [16, 32, 64]) await roundTrip(key, algorithm, randomBytes(length));
      });
    }
  }

  it('A*GCM: the service makes a fresh 12-byte IV, returns a 16-byte tag and echoes the aad', async () => {
    const key = await octKey(256);
    const plaintext = randomBytes(33);
    const aad = Buffer.from('header');
    const first = await encrypt(key, 'A256GCM', { plaintext, aad });
    const second = await encrypt(key, 'A256GCM', { plaintext, aad });
    assert.equal(first.iv?.length, 12);
    assert.equal(first.tag?.length, 16);
    assert.deepEqual(first.aad, aad);
    assert.notDeepEqual(first.iv, second.iv);
    assert.equal(first.ciphertext.length, plaintext.length);
    const { ciphertext, iv, tag } = first;
    assert.deepEqual(await decrypt(key, 'A256GCM', { ciphertext, iv, tag, aad }), plaintext);
    assert.equal((await encrypt(key, 'A256GCM', { plaintext })).aad, undefined);
  });

  it('A*GCM: refuses a caller IV on encrypt and needs iv and tag on decrypt', async () => {
    const key = await octKey(128);
    const plaintext = randomBytes(20);
    await rejectsInvalidRequest(
      () => encrypt(key, 'A128GCM', { plaintext, iv: randomBytes(12) }),
      /generates its own iv/,
    );
    const { ciphertext, iv, tag } = await encrypt(key, 'A128GCM', { plaintext });
    await rejectsInvalidRequest(
      () => decrypt(key, 'A128GCM', { ciphertext, tag }),
      /needs the 'iv' parameter for decrypt/,
    );
    await rejectsInvalidRequest(
      () => decrypt(key, 'A128GCM', { ciphertext, iv }),
      /needs the 'tag' parameter for decrypt/,
    );
    await rejectsInvalidRequest(
      () => decrypt(key, 'A128GCM', { ciphertext, iv: randomBytes(16), tag }),
      /needs a 12-byte iv; this one is 16 bytes/,
    );
  });

  it('A*CBC: uses a 16-byte caller IV or generates one, returns it, and takes no aad', async () => {
    const key = await octKey(192);
    const plaintext = randomBytes(32);
    const generated = await encrypt(key, 'A192CBC', { plaintext });
    const again = await encrypt(key, 'A192CBC', { plaintext });
    assert.equal(generated.iv?.length, 16);
    assert.notDeepEqual(generated.iv, again.iv);
    assert.deepEqual(await decrypt(key, 'A192CBC', { ciphertext: generated.ciphertext, iv: generated.iv }), plaintext);
    await rejectsInvalidRequest(() => encrypt(key, 'A192CBCPAD', { plaintext, iv: randomBytes(12) }), /16-byte iv/);
    await rejectsInvalidRequest(
      () => encrypt(key, 'A192CBC', { plaintext, iv: randomBytes(16), aad: randomBytes(3) }),
      /'aad'/,
    );
    const iv = randomBytes(16);
    const result = await encrypt(key, 'A192CBC', { plaintext, iv });
    assert.deepEqual(result.iv, iv);
    assert.equal(result.tag, undefined);
    await rejectsInvalidRequest(() => decrypt(key, 'A192CBC', { ciphertext: result.ciphertext }), /needs the 'iv'/);
  });

  it('A*CBC (no padding) needs block-aligned input; A*CBCPAD pads any length', async () => {
    const key = await octKey(128);
    const iv = randomBytes(16);
    for (const length of [1, 15, 17, 31]) {
      await rejectsInvalidRequest(
        () => encrypt(key, 'A128CBC', { plaintext: randomBytes(length), iv }),
        new RegExp(`encrypts whole 16-byte blocks; got ${length} bytes`),
      );
      const plaintext = randomBytes(length);
      const { ciphertext } = await encrypt(key, 'A128CBCPAD', { plaintext, iv });
      assert.equal(ciphertext.length, Math.ceil((length + 1) / 16) * 16);
      assert.deepEqual(await decrypt(key, 'A128CBCPAD', { ciphertext, iv }), plaintext);
    }
    const { ciphertext } = await encrypt(key, 'A128CBC', { plaintext: randomBytes(48), iv });
    assert.equal(ciphertext.length, 48);
  });

  it('AES key wrap: A*KW and CKM_AES_KEY_WRAP need 16+ bytes in 8-byte steps; the PAD variant takes any length', async () => {
    const key = await octKey(256);
    for (const alg of ['A256KW', 'CKM_AES_KEY_WRAP']) {
      for (const length of [0, 8, 12, 20]) {
        await rejectsInvalidRequest(
          () => wrapKey(key, alg, randomBytes(length)),
          /at least 16 bytes in multiples of 8/,
        );
      }
      const secret = randomBytes(40);
      const wrapped = await wrapKey(key, alg, secret);
      assert.equal(wrapped.length, 48);
      assert.deepEqual(await unwrapKey(key, alg, wrapped), secret);
    }
    for (const length of [1, 7, 8, 9, 20, 33]) {
      const secret = randomBytes(length);
      const wrapped = await wrapKey(key, 'CKM_AES_KEY_WRAP_PAD', secret);
      assert.equal(wrapped.length, Math.max(16, Math.ceil(length / 8) * 8 + 8));
      assert.deepEqual(await unwrapKey(key, 'CKM_AES_KEY_WRAP_PAD', wrapped), secret);
    }
    await rejectsInvalidRequest(() => wrapKey(key, 'CKM_AES_KEY_WRAP_PAD', Buffer.alloc(0)), /at least one byte/);
  });

  it('CKM_AES_KEY_WRAP(_PAD) work with every AES size; A*KW only with its own', async () => {
    for (const sizeBits of AES_SIZES_UNDER_TEST) {
      const key = await octKey(sizeBits);
      const secret = randomBytes(32);
      for (const alg of ['CKM_AES_KEY_WRAP', 'CKM_AES_KEY_WRAP_PAD', `A${sizeBits}KW`]) {
        assert.deepEqual(await unwrapKey(key, alg, await wrapKey(key, alg, secret)), secret);
      }
    }
    const key128 = await octKey(128);
    await rejectsInvalidRequest(
      () => wrapKey(key128, 'A256KW', randomBytes(16)),
      /A256KW needs a 256-bit AES key; this key is 128-bit/,
    );
    await rejectsInvalidRequest(
      () => encrypt(key128, 'A192GCM', { plaintext: randomBytes(16) }),
      /A192GCM needs a 192-bit AES key; this key is 128-bit/,
    );
  });
});

describe('operation routing', () => {
  it('GCM and CBC are not key-wrap algorithms; RSA and KW serve both encrypt and wrapKey', async () => {
    const oct = await octKey(256);
    await rejectsInvalidRequest(() => wrapKey(oct, 'A256GCM', randomBytes(32)), /A256GCM cannot be used for wrapKey/);
    await rejectsInvalidRequest(() => unwrapKey(oct, 'A256CBCPAD', randomBytes(32)), /cannot be used for unwrapKey/);
    const rsa = await rsaKey(2048);
    await rejectsInvalidRequest(() => wrapKey(rsa, 'RS256', randomBytes(32)), /RS256 cannot be used for wrapKey/);
    await rejectsInvalidRequest(
      () => encrypt(rsa, 'A256KW', { plaintext: randomBytes(32) }),
      /needs an oct key; this key is RSA/,
    );
  });
});

async function roundTrip(key: OctMaterial, algorithm: CipherAlgorithm, plaintext: Buffer): Promise<void> {
  const iv = algorithm.iv === 'caller-or-generated' ? randomBytes(16) : undefined;
  const result = await encrypt(key, algorithm.name, iv === undefined ? { plaintext } : { plaintext, iv });
  assert.notDeepEqual(result.ciphertext, plaintext);
  const input = { ciphertext: result.ciphertext, ...optional('iv', result.iv), ...optional('tag', result.tag) };
  assert.deepEqual(await decrypt(key, algorithm.name, input), plaintext);
  if (algorithm.operations.includes('wrapKey')) {
    assert.deepEqual(await unwrapKey(key, algorithm.name, await wrapKey(key, algorithm.name, plaintext)), plaintext);
  }
}

function optional<K extends string>(name: K, value: Buffer | undefined): Partial<Record<K, Buffer>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, Buffer>);
}
