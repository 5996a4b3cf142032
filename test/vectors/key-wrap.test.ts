/**
 * AES key wrap vectors: RFC 3394 §4 and RFC 5649 §6 (exact examples), and NIST SP 800-38F KW/KWP subsets
 * (wrap = AE, unwrap = AD including cases that must fail). Run through the public wrapKey/unwrapKey with
 * the algorithm names the service accepts, and through the RFC primitives.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { unwrapKey, wrapKey } from '../../src/crypto/operations.ts';
import { rfc3394Unwrap, rfc3394Wrap, rfc5649Unwrap, rfc5649Wrap } from '../../src/crypto/primitives.ts';
import { rejectsCryptoFailure } from '../unit/crypto/assertions.ts';
import { hexField, parseCavs } from './parsers/cavs.ts';
import { octMaterial } from './parsers/keys.ts';

interface RfcVector {
  section: string;
  kek: string;
  keyData: string;
  ciphertext: string;
}

function rfcVectors(file: string): RfcVector[] {
  return (JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as { vectors: RfcVector[] }).vectors;
}

describe('RFC 3394 §4', () => {
  for (const vector of rfcVectors('./rfc3394/rfc3394-section-4.json')) {
    it(vector.section, async () => {
      const kek = octMaterial(Buffer.from(vector.kek, 'hex'));
      const keyData = Buffer.from(vector.keyData, 'hex');
      const expected = Buffer.from(vector.ciphertext, 'hex');
      assert.deepEqual(rfc3394Wrap(kek.secretKey, keyData), expected);
      assert.deepEqual(rfc3394Unwrap(kek.secretKey, expected), keyData);
      for (const alg of [`A${kek.sizeBits}KW`, 'CKM_AES_KEY_WRAP']) {
        assert.deepEqual(await wrapKey(kek, alg, keyData), expected);
        assert.deepEqual(await unwrapKey(kek, alg, expected), keyData);
      }
    });
  }
});

describe('RFC 5649 §6', () => {
  for (const vector of rfcVectors('./rfc5649/rfc5649-section-6.json')) {
    it(vector.section, async () => {
      const kek = octMaterial(Buffer.from(vector.kek, 'hex'));
      const keyData = Buffer.from(vector.keyData, 'hex');
      const expected = Buffer.from(vector.ciphertext, 'hex');
      assert.deepEqual(rfc5649Wrap(kek.secretKey, keyData), expected);
      assert.deepEqual(rfc5649Unwrap(kek.secretKey, expected), keyData);
      assert.deepEqual(await wrapKey(kek, 'CKM_AES_KEY_WRAP_PAD', keyData), expected);
      assert.deepEqual(await unwrapKey(kek, 'CKM_AES_KEY_WRAP_PAD', expected), keyData);
    });
  }
});

describe('NIST SP 800-38F (CAVP subsets)', () => {
  const families = [
    { prefix: 'KW', alg: 'CKM_AES_KEY_WRAP' },
    { prefix: 'KWP', alg: 'CKM_AES_KEY_WRAP_PAD' },
  ] as const;
  for (const { prefix, alg } of families) {
    for (const bits of [128, 192, 256]) {
      it(`${prefix}-AE (wrap), AES-${bits}`, async () => {
        const records = parseCavs(new URL(`./nist/keywrap/${prefix}_AE_${bits}.txt`, import.meta.url));
        assert.ok(records.length >= 10);
        for (const record of records) {
          const kek = octMaterial(hexField(record, 'k'));
          assert.deepEqual(
            await wrapKey(kek, alg, hexField(record, 'p')),
            hexField(record, 'c'),
            `line ${record.line}`,
          );
        }
      });

      it(`${prefix}-AD (unwrap, with integrity failures), AES-${bits}`, async () => {
        const records = parseCavs(new URL(`./nist/keywrap/${prefix}_AD_${bits}.txt`, import.meta.url));
        assert.ok(records.some((record) => record.fail) && records.some((record) => !record.fail));
        for (const record of records) {
          const kek = octMaterial(hexField(record, 'k'));
          const wrapped = hexField(record, 'c');
          if (record.fail) await rejectsCryptoFailure(() => unwrapKey(kek, alg, wrapped));
          else assert.deepEqual(await unwrapKey(kek, alg, wrapped), hexField(record, 'p'), `line ${record.line}`);
        }
      });
    }
  }
});
