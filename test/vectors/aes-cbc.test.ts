/**
 * AES-CBC against NIST CAVP (AESAVS) CBCMMT (multi-block) and CBCGFSbox (single block) for 128/192/256-bit
 * keys, through the public encrypt/decrypt with A*CBC (no padding: the NIST data is block-aligned).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decrypt, encrypt } from '../../src/crypto/operations.ts';
import { hexField, parseCavs } from './parsers/cavs.ts';
import { octMaterial } from './parsers/keys.ts';

describe('NIST AES-CBC', () => {
  for (const file of ['CBCMMT', 'CBCGFSbox']) {
    for (const bits of [128, 192, 256]) {
      it(`${file}${bits}`, async () => {
        const records = parseCavs(new URL(`./nist/aes-cbc/${file}${bits}.rsp`, import.meta.url));
        assert.ok(records.length >= 10);
        for (const record of records) {
          const key = octMaterial(hexField(record, 'key'));
          const iv = hexField(record, 'iv');
          const plaintext = hexField(record, 'plaintext');
          const ciphertext = hexField(record, 'ciphertext');
          const alg = `A${bits}CBC`;
          if ('encrypt' in record.section) {
            assert.deepEqual(
              (await encrypt(key, alg, { plaintext, iv })).ciphertext,
              ciphertext,
              `line ${record.line}`,
            );
          } else {
            assert.deepEqual(await decrypt(key, alg, { ciphertext, iv }), plaintext, `line ${record.line}`);
          }
        }
      });
    }
  }
});
