/**
 * AES-GCM against NIST CAVP (GCMVS) subsets with 96-bit IVs and 128-bit tags: decryption (including cases
 * that must fail, which must yield the generic error and no plaintext) through the public decrypt, and
 * encryption with the vector's fixed IV through the primitive (the service never takes a caller IV).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decrypt } from '../../src/crypto/operations.ts';
import { aesGcmEncrypt } from '../../src/crypto/primitives.ts';
import { rejectsCryptoFailure } from '../unit/crypto/assertions.ts';
import { hexField, parseCavs } from './parsers/cavs.ts';
import { octMaterial } from './parsers/keys.ts';

describe('NIST AES-GCM', () => {
  for (const bits of [128, 192, 256]) {
    it(`gcmDecrypt${bits}`, async () => {
      const records = parseCavs(new URL(`./nist/aes-gcm/gcmDecrypt${bits}.rsp`, import.meta.url));
      assert.equal(records.length, 100);
      assert.ok(records.some((record) => record.fail));
      for (const record of records) {
        const key = octMaterial(hexField(record, 'key'));
        const input = {
          ciphertext: hexField(record, 'ct'),
          iv: hexField(record, 'iv'),
          tag: hexField(record, 'tag'),
          aad: hexField(record, 'aad'),
        };
        if (record.fail) await rejectsCryptoFailure(() => decrypt(key, `A${bits}GCM`, input));
        else assert.deepEqual(await decrypt(key, `A${bits}GCM`, input), hexField(record, 'pt'), `line ${record.line}`);
      }
    });

    it(`gcmEncryptExtIV${bits}`, () => {
      const records = parseCavs(new URL(`./nist/aes-gcm/gcmEncryptExtIV${bits}.rsp`, import.meta.url));
      assert.equal(records.length, 100);
      for (const record of records) {
        const key = octMaterial(hexField(record, 'key'));
        const aad = hexField(record, 'aad');
        const { ciphertext, tag } = aesGcmEncrypt(key.secretKey, hexField(record, 'iv'), hexField(record, 'pt'), aad);
        assert.deepEqual(ciphertext, hexField(record, 'ct'), `line ${record.line}`);
        assert.deepEqual(tag, hexField(record, 'tag'), `line ${record.line}`);
      }
    });
  }
});
