/**
 * ECDSA verification vectors for every curve the service offers:
 * - NIST CAVP FIPS 186-3 SigVer for P-256/SHA-256, P-384/SHA-384 and P-521/SHA-512 (valid and invalid:
 *   changed message, key, r or s), verified as P1363 r||s over the SHA digest of the message;
 * - secp256k1 (P-256K) SHA-256 signatures from pyca, which are all valid; each is also mutated the way
 *   Wycheproof does (bit flips, r or s zero, wrong length, swapped halves) and must then verify false.
 * Invalid signatures answer false, never an error.
 */
import assert from 'node:assert/strict';
import { createHash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import type { CurveName } from '../../src/crypto/key-material.ts';
import { signDigest, verifyDigest } from '../../src/crypto/operations.ts';
import { ecdsaVerifyDigest } from '../../src/crypto/primitives.ts';
import { hexField, parseCavs, type CavsRecord } from './parsers/cavs.ts';
import { ecMaterial, ecPublicKey, p1363 } from './parsers/keys.ts';

const NIST_SECTIONS = [
  { section: 'p-256,sha-256', curve: 'P-256', hash: 'sha256', half: 32 },
  { section: 'p-384,sha-384', curve: 'P-384', hash: 'sha384', half: 48 },
  { section: 'p-521,sha-512', curve: 'P-521', hash: 'sha512', half: 66 },
] as const;

/** The key of a vector, or undefined when NIST changed Q to a point that is not on the curve. */
function publicKeyOf(curve: CurveName, record: CavsRecord): KeyObject | undefined {
  try {
    return ecPublicKey(curve, hexField(record, 'qx'), hexField(record, 'qy'));
  } catch {
    return undefined;
  }
}

describe('NIST FIPS 186-3 ECDSA SigVer', () => {
  const records = parseCavs(new URL('./nist/ecdsa/SigVer.rsp', import.meta.url));
  for (const { section, curve, hash, half } of NIST_SECTIONS) {
    it(`[${section.toUpperCase()}]`, () => {
      const cases = records.filter((record) => section in record.section);
      assert.equal(cases.length, 15);
      assert.ok(cases.some((record) => record.fields['result']?.startsWith('F')));
      for (const record of cases) {
        const expected = record.fields['result']?.startsWith('P') ?? false;
        const publicKey = publicKeyOf(curve, record);
        const digest = createHash(hash).update(hexField(record, 'msg')).digest();
        const signature = p1363(hexField(record, 'r'), hexField(record, 's'), half);
        const actual = publicKey !== undefined && ecdsaVerifyDigest(publicKey, digest, signature);
        assert.equal(actual, expected, `line ${record.line}: ${record.fields['result'] ?? ''}`);
      }
    });
  }
});

/** Wycheproof-style mutations of a valid r||s signature; every one must be rejected. */
function mutations(signature: Buffer, half: number): Buffer[] {
  const r = signature.subarray(0, half);
  const s = signature.subarray(half);
  const flipped = (index: number): Buffer => {
    const copy = Buffer.from(signature);
    copy[index] = (copy[index] ?? 0) ^ 0x01;
    return copy;
  };
  return [
    flipped(0),
    flipped(half - 1),
    flipped(half),
    flipped(2 * half - 1),
    Buffer.concat([Buffer.alloc(half), s]),
    Buffer.concat([r, Buffer.alloc(half)]),
    Buffer.alloc(2 * half),
    Buffer.concat([s, r]),
    signature.subarray(0, 2 * half - 1),
    Buffer.concat([signature, Buffer.alloc(1)]),
    Buffer.concat([Buffer.alloc(1), signature]),
    Buffer.alloc(0),
  ];
}

describe('secp256k1 (P-256K, ES256K), pyca SigGen vectors', () => {
  const records = parseCavs(new URL('./pyca/ecdsa-secp256k1/SigGen.txt', import.meta.url));

  it('valid signatures verify; mutated ones are false', async () => {
    assert.equal(records.length, 15);
    for (const record of records) {
      const key = ecMaterial('P-256K', hexField(record, 'd'), hexField(record, 'qx'), hexField(record, 'qy'));
      const digest = createHash('sha256').update(hexField(record, 'msg')).digest();
      const signature = p1363(hexField(record, 'r'), hexField(record, 's'), 32);
      assert.ok(await verifyDigest(key, 'ES256K', digest, signature), `line ${record.line}`);
      for (const bad of mutations(signature, 32)) {
        assert.equal(await verifyDigest(key, 'ES256K', digest, bad), false, `line ${record.line}`);
      }
      const otherDigest = createHash('sha256').update(hexField(record, 'msg')).update('x').digest();
      assert.equal(await verifyDigest(key, 'ES256K', otherDigest, signature), false);
    }
  });

  it('signatures made with the vector keys verify in Node over the message', async () => {
    for (const record of records.slice(0, 5)) {
      const key = ecMaterial('P-256K', hexField(record, 'd'), hexField(record, 'qx'), hexField(record, 'qy'));
      const message = hexField(record, 'msg');
      const signature = await signDigest(key, 'ES256K', createHash('sha256').update(message).digest());
      assert.ok(nodeVerify('sha256', message, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature));
    }
  });
});
