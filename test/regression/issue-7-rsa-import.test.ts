/**
 * Issue 7 (hardening findings on RSA JWK import), at the crypto layer through `importJwk`:
 * - High: a self-consistent JWK with 46,000-byte p and q kept the event loop busy for 46 s, because every
 *   member became a BigInt and went through multiplications and reductions before any size was checked. Now
 *   every member's size is checked first, on its text and then on its bytes; these tests check that oversize
 *   keys and members are refused as invalid requests (not how fast: the refusal takes well under a millisecond).
 * - Low #10: import accepted keys that create refuses (e = 3) and a "2048-bit" n = 3·q. Now import applies
 *   create's rules on e, FIPS 186-5's on the primes (half the size of n each, |p - q| > 2^(nlen/2 - 100)), and
 *   checks that p and q are prime.
 * Each case below was accepted, or refused as something other than an invalid-request CryptoError, before.
 */
import assert from 'node:assert/strict';
import { generateKeyPair, randomBytes, sign, verify, type JsonWebKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { importJwk } from '../../src/crypto/jwk-import.ts';
import { RSA_JWK_MEMBER_MAX_CHARS } from '../../src/crypto/jwk-members.ts';
import { rejectsInvalidRequest } from '../unit/crypto/assertions.ts';
import {
  base64UrlOf,
  bigIntOf,
  bitLength,
  nextPrime,
  randomPrime,
  rsaJwkFromFactors,
  rsaJwkOfSizes,
  type RsaJwk,
} from '../unit/crypto/rsa-jwk-builder.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A fresh RSA key from node:crypto, exported as a private JWK. */
async function nodeRsaJwk(modulusLength: number, publicExponent = 65537): Promise<RsaJwk> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength, publicExponent });
  return privateKey.export({ format: 'jwk' }) as RsaJwk;
}

/** Refused as an invalid request whose message matches `pattern` and repeats none of the key's members. */
async function refused(jwk: Readonly<Record<string, string>>, pattern: RegExp): Promise<void> {
  await rejectsInvalidRequest(() => importJwk('RSA', jwk), pattern);
  const error = await importJwk('RSA', jwk).catch((caught: unknown) => caught);
  const message = error instanceof Error ? error.message : '';
  for (const [member, value] of Object.entries(jwk)) {
    if (member === 'kty' || value.length < 8) continue;
    assert.ok(!message.includes(value.slice(0, 8)), `the message repeats ${member}`);
  }
}

const lambdaOf = (jwk: RsaJwk): bigint => {
  const [p, q] = [bigIntOf(jwk.p) - 1n, bigIntOf(jwk.q) - 1n];
  let [a, b] = [p, q];
  while (b !== 0n) [a, b] = [b, a % b];
  return (p / a) * q;
};

describe('issue 7 (a): oversize, self-consistent keys are refused before any arithmetic', () => {
  it('a consistent key with 264-byte primes p and q (and so a 528-byte n) is refused as too long', async () => {
    const jwk = await rsaJwkOfSizes(2112, 2112, 4224);
    assert.ok(jwk.p.length > RSA_JWK_MEMBER_MAX_CHARS.p && jwk.n.length > RSA_JWK_MEMBER_MAX_CHARS.n);
    await refused(jwk, /^The JSON Web Key member '(n|p|q)' is too long for an RSA private key/);
  });

  it('members of the finding\'s size (46,000-byte p and q) are refused without being decoded', async () => {
    const base = await nodeRsaJwk(2048);
    const huge = (bytes: number): string => randomBytes(bytes).toString('base64url');
    await refused({ ...base, n: huge(92_000), p: huge(46_000), q: huge(46_000) }, /'n' is too long/);
    await refused({ ...base, p: huge(46_000) }, /'p' is too long/);
    await refused({ ...base, q: huge(46_000) }, /'q' is too long/);
  });
});

describe('issue 7 (b): d, dp, dq and qi no longer than n', () => {
  it('d made longer than n by adding a multiple of lambda(n) is refused (it stays consistent)', async () => {
    const base = await nodeRsaJwk(2048);
    const d = bigIntOf(base.d) + lambdaOf(base) * (1n << 400n);
    assert.ok(bitLength(d) > 2048 && base64UrlOf(d).length <= RSA_JWK_MEMBER_MAX_CHARS.d);
    await refused({ ...base, d: base64UrlOf(d) }, /member 'd' of an RSA key must not be longer than its modulus n/);
    const longer = bigIntOf(base.d) + lambdaOf(base) * (1n << 3000n);
    await refused({ ...base, d: base64UrlOf(longer) }, /member 'd' is too long/);
  });

  it('dp, dq and qi longer than n are refused, each by name', async () => {
    const base = await nodeRsaJwk(2048);
    const p = bigIntOf(base.p);
    const q = bigIntOf(base.q);
    const oversize = {
      dp: bigIntOf(base.dp) + (p - 1n) * (1n << 1100n),
      dq: bigIntOf(base.dq) + (q - 1n) * (1n << 1100n),
      qi: bigIntOf(base.qi) + p * (1n << 1100n), // still q^-1 mod p
    };
    for (const [member, value] of Object.entries(oversize)) {
      const longerThanN = new RegExp(`member '${member}' of an RSA key must not be longer`);
      await refused({ ...base, [member]: base64UrlOf(value) }, longerThanN);
      const huge = value << 4000n;
      await refused({ ...base, [member]: base64UrlOf(huge) }, new RegExp(`member '${member}' is too long`));
    }
  });
});

describe('issue 7 (c): the public exponent follows create\'s rule (odd, 65537 to 2^32 - 1)', () => {
  for (const e of [3, 17, 65535]) {
    it(`e = ${e} is refused`, async () => {
      await refused(await nodeRsaJwk(2048, e), /public exponent \(e\) of an RSA key must be an odd number from 65537/);
    });
  }

  it('e = 2^32 + 15 (five bytes) is refused', async () => {
    const jwk = await rsaJwkOfSizes(1024, 1024, 2048, 2n ** 32n + 15n);
    await refused(jwk, /public exponent \(e\)/);
  });
});

describe('issue 7 (d): a "2048-bit" n = 3·q is refused', () => {
  it('p = 3 and q a 2046-bit prime: consistent, 2048 bits, refused for the size of p', async () => {
    let jwk: RsaJwk | undefined;
    while (jwk === undefined) {
      const q = await randomPrime(2046);
      if (bitLength(3n * q) === 2048) jwk = rsaJwkFromFactors(3n, q);
    }
    assert.equal(bitLength(bigIntOf(jwk.n)), 2048);
    await refused(jwk, /member 'p' of a 2048-bit RSA key must be 127 to 129 bytes long/);
  });
});

describe('issue 7 (e): p and q must be balanced, apart, and prime', () => {
  it('primes of 1000 and 1048 bits (125 and 131 bytes) are refused by their byte length', async () => {
    const bytesRule = /member '(p|q)' of a 2048-bit RSA key must be 127 to 129 bytes/;
    await refused(await rsaJwkOfSizes(1000, 1048, 2048), bytesRule);
  });

  it('primes of 1016 and 1032 bits (within a byte of half of n) are refused by their bit length', async () => {
    const bitsRule = /primes p and q of a 2048-bit RSA key must each be 1020 to 1028 bits/;
    await refused(await rsaJwkOfSizes(1016, 1032, 2048), bitsRule);
  });

  it('neighbouring primes (|p - q| far below 2^(nlen/2 - 100)) are refused', async () => {
    let jwk: RsaJwk | undefined;
    while (jwk === undefined) {
      const p = await randomPrime(1024);
      if (bitLength(p * p) === 2048) jwk = rsaJwkFromFactors(p, nextPrime(p));
    }
    await refused(jwk, /primes p and q of the RSA key are too close together/);
  });

  it('a composite p (the product of two 512-bit primes) is refused, though the arithmetic is consistent', async () => {
    let jwk: RsaJwk | undefined;
    while (jwk === undefined) {
      const [r, s, q] = await Promise.all([randomPrime(512), randomPrime(512), randomPrime(1024)]);
      if (bitLength(r * s) === 1024 && bitLength(r * s * q) === 2048) jwk = rsaJwkFromFactors(r * s, q);
    }
    await refused(jwk, /p and q must both be prime/);
  });
});

describe('issue 7 (f): keys node:crypto makes still import', () => {
  for (const sizeBits of [2048, 3072, 4096]) {
    it(`RSA-${sizeBits}`, async () => {
      const jwk = await nodeRsaJwk(sizeBits);
      const material = await importJwk('RSA', jwk);
      assert.equal(material.family, 'RSA');
      if (material.family !== 'RSA') return;
      assert.equal(material.sizeBits, sizeBits);
      const exported = material.publicKey.export({ format: 'jwk' }) as JsonWebKey;
      assert.deepEqual({ n: exported.n, e: exported.e }, { n: jwk.n, e: jwk.e });
      const message = randomBytes(32);
      assert.ok(verify('sha256', message, material.publicKey, sign('sha256', message, material.privateKey)));
    });
  }
});
