/**
 * HMAC-SHA-256/384/512 against RFC 4231 (test cases 1-4, 6 and 7 as shipped by pyca; case 5, truncation,
 * is not applicable). The primitive takes the RFC's arbitrary-length keys and messages; one case also goes
 * through signDigest/verifyDigest with a message of exactly the hash length.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signDigest, verifyDigest } from '../../src/crypto/operations.ts';
import { hmac, hmacVerify } from '../../src/crypto/primitives.ts';
import { hexField, parseCavs } from './parsers/cavs.ts';
import { octMaterial } from './parsers/keys.ts';

const HASHES = [
  { hash: 'sha256', alg: 'HS256', length: 32 },
  { hash: 'sha384', alg: 'HS384', length: 48 },
  { hash: 'sha512', alg: 'HS512', length: 64 },
] as const;

describe('RFC 4231', () => {
  for (const { hash, alg, length } of HASHES) {
    it(`HMAC-${hash.toUpperCase()}`, async () => {
      const records = parseCavs(new URL(`./rfc4231/rfc-4231-${hash}.txt`, import.meta.url));
      assert.equal(records.length, 6);
      for (const record of records) {
        const key = hexField(record, 'key');
        const message = hexField(record, 'msg');
        const expected = hexField(record, 'md');
        assert.deepEqual(hmac(hash, key, message), expected, `line ${record.line}`);
        assert.ok(hmacVerify(hash, key, message, expected));
        assert.equal(hmacVerify(hash, key, Buffer.concat([message, Buffer.alloc(1)]), expected), false);
      }
      // Through the service API: an oct key of an AES size, a value of exactly the hash length.
      const record = records[0];
      if (record === undefined) throw new Error('no vectors');
      const key = octMaterial(Buffer.concat([hexField(record, 'key'), Buffer.alloc(12)]));
      const value = Buffer.alloc(length, 0x5a);
      const mac = await signDigest(key, alg, value);
      assert.deepEqual(mac, hmac(hash, key.secretKey, value));
      assert.ok(await verifyDigest(key, alg, value, mac));
    });
  }
});
