/**
 * RSA signature vectors:
 * - RFC 7520 §4.1: RS256 is deterministic, so signing the SHA-256 of the JWS signing input with the RFC's key
 *   must reproduce the RFC's signature byte for byte;
 * - NIST CAVP FIPS 186-3 SigVer15 and SigVerPSS (2048 and 3072-bit keys, SHA-256/384/512; valid and invalid);
 *   the NIST PSS vectors use a 10-byte salt, passed to the primitive explicitly;
 * - RSA Laboratories PKCS #1 v2.1 vectors: RSASSA-PSS (SHA-1, salt = hash length, 1024..2048-bit keys of odd
 *   sizes) and RSASSA-PKCS1-v1_5 (SHA-1, deterministic signatures reproduced byte for byte).
 */
import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { HashName } from '../../src/crypto/algorithms.ts';
import { importJwk } from '../../src/crypto/jwk-import.ts';
import { signDigest, verifyDigest } from '../../src/crypto/operations.ts';
import { rsaSignDigest, rsaVerifyDigest } from '../../src/crypto/primitives.ts';
import { hexField, parseCavs } from './parsers/cavs.ts';
import { rsaMaterial, rsaPublicKey } from './parsers/keys.ts';
import { parseRsaLabs } from './parsers/rsa-labs.ts';

const NIST_HASH: Readonly<Record<string, HashName>> = { SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };

interface Rfc7520Vector {
  input: { key: Record<string, unknown> };
  signing: { 'sig-input': string; sig: string };
}

describe('RFC 7520 §4.1 (RS256)', () => {
  it('reproduces the RFC signature byte for byte and verifies it', async () => {
    const file = new URL('./rfc7520/4_1.rsa_v15_signature.json', import.meta.url);
    const vector = JSON.parse(readFileSync(file, 'utf8')) as Rfc7520Vector;
    const key = await importJwk('RSA', vector.input.key);
    const digest = createHash('sha256').update(vector.signing['sig-input'], 'ascii').digest();
    const expected = Buffer.from(vector.signing.sig, 'base64url');
    assert.deepEqual(await signDigest(key, 'RS256', digest), expected);
    assert.ok(await verifyDigest(key, 'RS256', digest, expected));
  });
});

/** The NIST key of a record, or undefined when NIST changed e into something that is no RSA key. */
function nistKey(n: Buffer, e: Buffer): KeyObject | undefined {
  try {
    return rsaPublicKey(n, e);
  } catch {
    return undefined;
  }
}

describe('NIST FIPS 186-3 RSA SigVer', () => {
  const files = [
    { file: 'SigVer15_186-3.rsp', scheme: 'rsa-pkcs1' },
    { file: 'SigVerPSS_186-3.rsp', scheme: 'rsa-pss' },
  ] as const;
  for (const { file, scheme } of files) {
    it(file, () => {
      const records = parseCavs(new URL(`./nist/rsa/${file}`, import.meta.url));
      let modulus: Buffer | undefined;
      let checked = 0;
      for (const record of records) {
        if (record.fields['n'] !== undefined) {
          modulus = hexField(record, 'n');
          continue;
        }
        const hash = NIST_HASH[record.fields['shaalg'] ?? ''];
        if (hash === undefined || modulus === undefined) throw new Error(`line ${record.line}: unexpected record`);
        const key = nistKey(modulus, hexField(record, 'e'));
        const digest = createHash(hash).update(hexField(record, 'msg')).digest();
        const salt = scheme === 'rsa-pss' ? hexField(record, 'saltval').length : undefined;
        const valid = key !== undefined && rsaVerifyDigest(key, scheme, hash, digest, hexField(record, 's'), salt);
        assert.equal(
          valid,
          record.fields['result']?.startsWith('P'),
          `line ${record.line}: ${record.fields['result'] ?? ''}`,
        );
        checked += 1;
      }
      assert.equal(checked, 36);
    });
  }
});

describe('RSA Laboratories PKCS #1 v2.1 vectors', () => {
  it('RSASSA-PSS (SHA-1, 20-byte salt): every signature verifies, altered ones do not', () => {
    const cases = parseRsaLabs(new URL('./pkcs1/pss-vect.txt', import.meta.url));
    assert.equal(cases.length, 60);
    for (const vector of cases) {
      const { publicKey } = rsaMaterial(vector.key);
      const digest = createHash('sha1').update(vector.message).digest();
      assert.ok(rsaVerifyDigest(publicKey, 'rsa-pss', 'sha1', digest, vector.output), vector.name);
      const altered = Buffer.from(vector.output);
      altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 0x01;
      assert.equal(rsaVerifyDigest(publicKey, 'rsa-pss', 'sha1', digest, altered), false, vector.name);
    }
  });

  it('RSASSA-PKCS1-v1_5 (SHA-1): signing reproduces every signature', async () => {
    const cases = parseRsaLabs(new URL('./pkcs1/pkcs1v15sign-vectors.txt', import.meta.url));
    assert.equal(cases.length, 40);
    for (const vector of cases) {
      const material = rsaMaterial(vector.key);
      const digest = createHash('sha1').update(vector.message).digest();
      assert.deepEqual(
        await rsaSignDigest(material.privateKey, 'rsa-pkcs1', 'sha1', digest),
        vector.output,
        vector.name,
      );
      assert.ok(rsaVerifyDigest(material.publicKey, 'rsa-pkcs1', 'sha1', digest, vector.output), vector.name);
    }
  });
});
