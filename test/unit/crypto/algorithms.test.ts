/**
 * The algorithm registry: it covers every algorithm the JS SDK can send, its descriptors say what the
 * Managed HSM documentation says, and resolveAlgorithm names each kind of mismatch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KnownEncryptionAlgorithms, KnownSignatureAlgorithms } from '@azure/keyvault-keys';
import {
  ALGORITHMS,
  algorithmsFor,
  resolveAlgorithm,
  resolveCipherAlgorithm,
  resolveSignatureAlgorithm,
  type KeyDescription,
} from '../../../src/crypto/algorithms.ts';
import { invalidRequestMessage } from './assertions.ts';

/** The SDK's KeyWrapAlgorithm union (a type only, so listed here). */
const SDK_KEY_WRAP_ALGORITHMS = [
  'A128KW',
  'A192KW',
  'A256KW',
  'RSA-OAEP',
  'RSA-OAEP-256',
  'RSA1_5',
  'CKM_AES_KEY_WRAP',
  'CKM_AES_KEY_WRAP_PAD',
];

const RSA_2048: KeyDescription = { family: 'RSA', sizeBits: 2048 };
const OCT = (sizeBits: number): KeyDescription => ({ family: 'oct', sizeBits });
const EC = (curve: 'P-256' | 'P-256K' | 'P-384' | 'P-521'): KeyDescription => ({ family: 'EC', curve, sizeBits: 0 });

describe('coverage of the JS SDK', () => {
  it('knows every encryption and signature algorithm the SDK defines', () => {
    for (const name of [...Object.values(KnownEncryptionAlgorithms), ...Object.values(KnownSignatureAlgorithms)]) {
      assert.ok(Object.hasOwn(ALGORITHMS, name), `${name} is missing from the registry`);
    }
    assert.equal(
      Object.keys(ALGORITHMS).length,
      Object.values(KnownEncryptionAlgorithms).length + Object.values(KnownSignatureAlgorithms).length,
    );
  });

  it('serves every SDK encryption algorithm for encrypt/decrypt and every KeyWrapAlgorithm for wrapKey/unwrapKey', () => {
    for (const name of Object.values(KnownEncryptionAlgorithms)) {
      const key = name.startsWith('RSA') ? RSA_2048 : OCT(Number(/^A(\d+)/.exec(name)?.[1] ?? 256));
      assert.equal(resolveAlgorithm(name, 'encrypt', key).name, name);
      assert.equal(resolveAlgorithm(name, 'decrypt', key).name, name);
      const wraps = SDK_KEY_WRAP_ALGORITHMS.includes(name);
      assert.equal(algorithmsFor('wrapKey', key).includes(name as never), wraps, `${name} wrapKey`);
      assert.equal(algorithmsFor('unwrapKey', key).includes(name as never), wraps, `${name} unwrapKey`);
    }
  });
});

describe('descriptors', () => {
  it('ES* pair each hash with its curve', () => {
    const expected = {
      ES256: ['P-256', 32],
      ES256K: ['P-256K', 32],
      ES384: ['P-384', 48],
      ES512: ['P-521', 64],
    } as const;
    for (const [name, [curve, digestLength]] of Object.entries(expected)) {
      const algorithm = resolveSignatureAlgorithm(name, 'sign', EC(curve));
      assert.equal(algorithm.curve, curve);
      assert.equal(algorithm.digestLength, digestLength);
    }
  });

  it('RSA ciphers carry the single-block overhead of their padding', () => {
    assert.equal(resolveCipherAlgorithm('RSA1_5', 'encrypt', RSA_2048).rsaOverhead, 11);
    assert.equal(resolveCipherAlgorithm('RSA-OAEP', 'encrypt', RSA_2048).rsaOverhead, 42);
    assert.equal(resolveCipherAlgorithm('RSA-OAEP-256', 'encrypt', RSA_2048).rsaOverhead, 66);
    assert.equal(resolveCipherAlgorithm('RSA-OAEP-256', 'encrypt', RSA_2048).oaepHash, 'sha256');
  });

  it('GCM has a server IV of 12 bytes and a 16-byte tag; CBC a caller IV of 16; KW none', () => {
    const gcm = resolveCipherAlgorithm('A128GCM', 'encrypt', OCT(128));
    assert.deepEqual([gcm.iv, gcm.ivLength, gcm.tagLength], ['server-generated', 12, 16]);
    const cbc = resolveCipherAlgorithm('A256CBCPAD', 'encrypt', OCT(256));
    assert.deepEqual([cbc.iv, cbc.ivLength, cbc.tagLength], ['caller-or-generated', 16, undefined]);
    const kw = resolveCipherAlgorithm('CKM_AES_KEY_WRAP_PAD', 'wrapKey', OCT(192));
    assert.deepEqual([kw.iv, kw.aesKeyBits], ['none', undefined]);
  });

  it('RSNULL has no hash and no fixed digest length', () => {
    const rsnull = resolveSignatureAlgorithm('RSNULL', 'sign', RSA_2048);
    assert.equal(rsnull.hash, undefined);
    assert.equal(rsnull.digestLength, undefined);
  });
});

describe('resolveAlgorithm errors', () => {
  it('names the problem', () => {
    assert.equal(
      invalidRequestMessage(() => resolveAlgorithm('ES384', 'sign', EC('P-256'))),
      'Algorithm ES384 needs a P-384 key; this key is P-256.',
    );
    assert.equal(
      invalidRequestMessage(() => resolveAlgorithm('ES256', 'sign', RSA_2048)),
      'Algorithm ES256 needs an EC key; this key is RSA.',
    );
    assert.equal(
      invalidRequestMessage(() => resolveAlgorithm('A256GCM', 'encrypt', OCT(128))),
      'Algorithm A256GCM needs a 256-bit AES key; this key is 128-bit.',
    );
    assert.equal(
      invalidRequestMessage(() => resolveAlgorithm('CKM_AES_KEY_WRAP', 'wrapKey', OCT(512))),
      'Algorithm CKM_AES_KEY_WRAP needs an AES key of 128, 192 or 256 bits; this key is 512-bit.',
    );
    assert.equal(
      invalidRequestMessage(() => resolveAlgorithm('PS256', 'encrypt', RSA_2048)),
      'Algorithm PS256 cannot be used for encrypt; it supports sign, verify.',
    );
    assert.equal(
      invalidRequestMessage(() => resolveAlgorithm('RSA-OAEP-384', 'encrypt', RSA_2048)),
      'The algorithm RSA-OAEP-384 is not supported.',
    );
  });

  it('does not echo malformed names or fall for prototype keys', () => {
    assert.equal(
      invalidRequestMessage(() => resolveAlgorithm('<script>', 'sign', RSA_2048)),
      'The algorithm (unrecognised name) is not supported.',
    );
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', '']) {
      assert.match(
        invalidRequestMessage(() => resolveAlgorithm(name, 'sign', RSA_2048)),
        /is not supported/,
      );
    }
  });

  it('lists what fits a key', () => {
    assert.deepEqual(algorithmsFor('sign', EC('P-384')), ['ES384']);
    assert.deepEqual(algorithmsFor('sign', OCT(128)), ['HS256', 'HS384', 'HS512']);
    assert.deepEqual(algorithmsFor('wrapKey', RSA_2048), ['RSA-OAEP-256', 'RSA-OAEP', 'RSA1_5']);
    assert.deepEqual(algorithmsFor('unwrapKey', OCT(192)), ['A192KW', 'CKM_AES_KEY_WRAP', 'CKM_AES_KEY_WRAP_PAD']);
  });
});
