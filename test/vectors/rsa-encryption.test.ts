/**
 * RSA decryption vectors, through the public decrypt/unwrapKey:
 * - RSA-OAEP (SHA-1): RSA Laboratories PKCS #1 v2.1 oaep-vect.txt (10 keys of 1024..2048 bits, odd sizes);
 * - RSA-OAEP-256 (SHA-256, MGF1-SHA-256): pyca's vectors derived from the NIST OAEP data;
 * - RSA1_5: RSA Laboratories PKCS #1 v1.5 encryption vectors (valid ciphertexts; the first two keys).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decrypt, unwrapKey } from '../../src/crypto/operations.ts';
import { rsaMaterial } from './parsers/keys.ts';
import { parseRsaLabs } from './parsers/rsa-labs.ts';

const SUITES = [
  { alg: 'RSA-OAEP', file: './pkcs1/oaep-vect.txt', count: 60 },
  { alg: 'RSA-OAEP-256', file: './pyca/rsa-oaep-sha256/oaep-sha256-sha256.txt', count: 60 },
  { alg: 'RSA1_5', file: './pkcs1/pkcs1v15crypt-vectors.txt', count: 40 },
] as const;

describe('RSA decryption vectors', () => {
  for (const { alg, file, count } of SUITES) {
    it(`${alg}: ${file.split('/').pop() ?? file}`, async () => {
      const cases = parseRsaLabs(new URL(file, import.meta.url));
      assert.equal(cases.length, count);
      for (const vector of cases) {
        const material = rsaMaterial(vector.key);
        assert.deepEqual(await decrypt(material, alg, { ciphertext: vector.output }), vector.message, vector.name);
        assert.deepEqual(await unwrapKey(material, alg, vector.output), vector.message, vector.name);
      }
    });
  }
});
