/**
 * Issue 13: the module's mechanism table (clients/pkcs11/mechanisms.def) and the service's algorithm registry
 * (src/crypto/algorithms.ts) cannot drift: every row names an algorithm the service has, for the same key family,
 * hash, curve and operation; every service algorithm is either mapped or listed as not offered, with a reason.
 * The RSA-AES key wraps (C_WrapKey / C_UnwrapKey as export and BYOK import) are not JWA algorithms: their SR_WRAP rows
 * are checked against src/crypto/rsa-aes-key-wrap.ts instead, the OAEP hash by opening a wrap the service's code made.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { ALGORITHMS, type Algorithm } from '../../src/crypto/algorithms.ts';
import { RSA_AES_KEY_WRAP_ALGORITHMS, rsaAesKeyWrap } from '../../src/crypto/rsa-aes-key-wrap.ts';
import { moduleDir } from './helpers/fixture.ts';

const table = readFileSync(join(moduleDir, 'mechanisms.def'), 'utf8');
const rows = (macro: string): string[][] =>
  [...table.matchAll(new RegExp(`^${macro}\\((.*)\\)$`, 'gm'))].map((m) => (m[1] ?? '').split(',').map((s) => s.trim().replace(/^"|"$/g, '')));

const FAMILY: Record<string, string> = { RSA: 'RSA', EC: 'EC' };
const HASH: Record<string, string | undefined> = { NONE: undefined, SHA1: 'sha1', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' };
const CURVE: Record<string, string | undefined> = { ANY: undefined, P256: 'P-256', P256K: 'P-256K', P384: 'P-384', P521: 'P-521' };
const OPERATION: Record<string, string> = { SIGN: 'sign', DECRYPT: 'decrypt', ENCRYPT: 'encrypt' };

function hashOf(a: Algorithm): string | undefined {
  return a.kind === 'signature' ? a.hash : a.oaepHash;
}

describe('mechanism table ↔ src/crypto/algorithms.ts', () => {
  const remote = rows('SR_REMOTE');
  const unmapped = rows('SR_UNMAPPED');

  it('has rows at all', () => {
    assert.ok(remote.length >= 14);
  });

  for (const [mech, op, jwa, family, hash, curve] of remote) {
    it(`${mech} ${op} → ${jwa} exists in the service with the same family, hash, curve and operation`, () => {
      const algorithm = (ALGORITHMS as Record<string, Algorithm>)[jwa ?? ''];
      assert.ok(algorithm !== undefined, `${jwa} is not in ALGORITHMS`);
      assert.equal(algorithm.family, FAMILY[family ?? '']);
      assert.ok(algorithm.operations.includes(OPERATION[op ?? ''] as never), `${jwa} does not serve ${op}`);
      assert.equal(hashOf(algorithm), HASH[hash ?? '']);
      if (algorithm.kind === 'signature') assert.equal(algorithm.curve, CURVE[curve ?? '']);
    });
  }

  for (const [mech, op, jwa, bits] of rows('SR_AES')) {
    it(`${mech} ${op} → ${jwa} is an AES algorithm of the service for ${bits === '0' ? 'any size' : `${bits}-bit keys`}`, () => {
      const algorithm = (ALGORITHMS as Record<string, Algorithm>)[jwa ?? ''];
      assert.ok(algorithm !== undefined && algorithm.kind === 'cipher', `${jwa} is not a cipher in ALGORITHMS`);
      assert.equal(algorithm.family, 'oct');
      assert.ok(algorithm.operations.includes(OPERATION[op ?? ''] as never), `${jwa} does not serve ${op}`);
      assert.equal(algorithm.aesKeyBits, bits === '0' ? undefined : Number(bits));
    });
  }

  it('maps or explicitly leaves out every service algorithm', () => {
    const mapped = new Set([...remote.map((r) => r[2]), ...rows('SR_AES').map((r) => r[2]), ...unmapped.map((r) => r[0])]);
    for (const name of Object.keys(ALGORITHMS)) assert.ok(mapped.has(name), `${name} is neither mapped nor SR_UNMAPPED`);
    for (const [name, reason] of unmapped) {
      assert.ok(Object.hasOwn(ALGORITHMS, name ?? ''), `SR_UNMAPPED names ${name}, which the service does not have`);
      assert.ok((reason ?? '').length > 10, `${name} needs a reason`);
    }
  });

  const wraps = rows('SR_WRAP');
  it('maps every RSA-AES key wrap of the service, once, and nothing else', () => {
    assert.deepEqual(wraps.map((r) => r[2]).sort(), [...RSA_AES_KEY_WRAP_ALGORITHMS].sort());
    for (const [mech] of wraps) assert.equal(mech, 'CKM_RSA_AES_KEY_WRAP');
    for (const [, , enc] of wraps) assert.equal(Object.hasOwn(ALGORITHMS, enc ?? ''), false, `${enc} is a wrap, not an algorithm`);
  });

  for (const [mech, hash, enc] of wraps) {
    it(`${mech} with OAEP ${hash} → ${enc}: the service's wrap is RSA-OAEP with that hash, then RFC 5649`, () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const wrapped = rsaAesKeyWrap(publicKey, enc as (typeof RSA_AES_KEY_WRAP_ALGORITHMS)[number], Buffer.alloc(32, 1));
      const oaepHash = HASH[hash ?? ''];
      assert.ok(oaepHash !== undefined);
      const aesKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, wrapped.subarray(0, 256));
      assert.equal(aesKey.length, 32, 'an AES-256 key, as CK_RSA_AES_KEY_WRAP_PARAMS.ulAESKeyBits 256 says');
      assert.equal(wrapped.length, 256 + 40);
    });
  }

  it('hash-and-sign rows name a base mechanism that has a remote row', () => {
    const bases = new Set(remote.map((r) => r[0]));
    for (const [mech, base] of rows('SR_HASHED')) assert.ok(bases.has(base), `${mech}: base ${base} has no SR_REMOTE row`);
  });
});
