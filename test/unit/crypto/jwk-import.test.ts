/**
 * JWK import: the member limits the schema mirrors, the encodings they must still admit (a zero octet in
 * front of n, fixed-width members), EC and oct members measured before decoding, and the refusals that are
 * not issue 7's (test/regression/issue-7-rsa-import.test.ts has those): every one an invalid-request CryptoError.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { importJwk } from '../../../src/crypto/jwk-import.ts';
import {
  EC_JWK_MEMBER_MAX_CHARS,
  JWK_MEMBER_MAX_CHARS,
  OCT_JWK_MEMBER_MAX_CHARS,
  RSA_JWK_MEMBER_MAX_CHARS,
} from '../../../src/crypto/jwk-members.ts';
import { RSA_PRIME_BITS_TOLERANCE } from '../../../src/crypto/rsa-jwk-import.ts';
import { rejectsInvalidRequest } from './assertions.ts';
import { rsaKey } from './key-fixtures.ts';
import { base64UrlOf, bigIntOf } from './rsa-jwk-builder.ts';

type Jwk = Record<string, string>;

async function rsaJwk(sizeBits: 2048 | 4096): Promise<Jwk> {
  return (await rsaKey(sizeBits)).privateKey.export({ format: 'jwk' }) as Jwk;
}

/** `value`'s bytes left-padded with zeros to `size` bytes. */
function padded(value: string, size: number): string {
  const bytes = Buffer.from(value, 'base64url');
  return Buffer.concat([Buffer.alloc(size - bytes.length), bytes]).toString('base64url');
}

describe('member limits', () => {
  it('are the numbers the request schema carries', () => {
    assert.deepEqual(RSA_JWK_MEMBER_MAX_CHARS, { n: 684, e: 8, d: 684, p: 344, q: 344, dp: 684, dq: 684, qi: 684 });
    assert.deepEqual(EC_JWK_MEMBER_MAX_CHARS, { x: 88, y: 88, d: 88 });
    assert.deepEqual(OCT_JWK_MEMBER_MAX_CHARS, { k: 44 });
    assert.deepEqual(JWK_MEMBER_MAX_CHARS, {
      n: 684, e: 8, d: 684, p: 344, q: 344, dp: 684, dq: 684, qi: 684, x: 88, y: 88, k: 44,
    });
    assert.equal(RSA_PRIME_BITS_TOLERANCE, 4);
  });

  it('admit RSA-4096 with a zero octet in front of every integer, as padded base64', async () => {
    const jwk = await rsaJwk(4096);
    const withZero = (member: string): string =>
      Buffer.concat([Buffer.alloc(1), Buffer.from(jwk[member] ?? '', 'base64url')]).toString('base64');
    const members = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;
    const encoded = Object.fromEntries(members.map((member) => [member, withZero(member)]));
    for (const member of members) assert.ok((encoded[member] ?? '').length <= RSA_JWK_MEMBER_MAX_CHARS[member], member);
    assert.equal(encoded['n']?.length, RSA_JWK_MEMBER_MAX_CHARS.n);
    const material = await importJwk('RSA', { kty: 'RSA', ...encoded });
    assert.equal(material.family === 'RSA' && material.sizeBits, 4096);
  });

  it('admit fixed-width members (d as long as n, the CRT parts as long as p) and e as four bytes', async () => {
    const jwk = await rsaJwk(2048);
    const fixed: Jwk = { ...jwk, e: padded(jwk['e'] ?? '', 4), d: padded(jwk['d'] ?? '', 256) };
    for (const member of ['p', 'q', 'dp', 'dq', 'qi']) fixed[member] = padded(jwk[member] ?? '', 128);
    const material = await importJwk('RSA', fixed);
    const exported = (material.family === 'RSA' ? material.publicKey.export({ format: 'jwk' }) : {}) as JsonWebKey;
    assert.deepEqual({ n: exported.n, e: exported.e }, { n: jwk['n'], e: jwk['e'] });
  });
});

describe('RSA refusals beside issue 7', () => {
  it('a missing, non-string or non-base64 member is named', async () => {
    const jwk = await rsaJwk(2048);
    const { d: _d, ...withoutD } = jwk;
    await rejectsInvalidRequest(() => importJwk('RSA', withoutD), /must have the member 'd'/);
    const notAString = { ...jwk, q: 42 as unknown as string };
    await rejectsInvalidRequest(() => importJwk('RSA', notAString), /must have the member 'q'/);
    await rejectsInvalidRequest(() => importJwk('RSA', { ...jwk, dq: 'not base64!' }), /member 'dq' is not base64url/);
  });

  it('a qi that is q^-1 mod p plus p (not reduced) is inconsistent', async () => {
    const jwk = await rsaJwk(2048);
    const qi = base64UrlOf(bigIntOf(jwk['qi'] ?? '') + bigIntOf(jwk['p'] ?? ''));
    await rejectsInvalidRequest(() => importJwk('RSA', { ...jwk, qi }), /components are inconsistent/);
  });

  it('parts of two different keys are inconsistent, and a 1024-bit key is refused for its size', async () => {
    const one = await rsaJwk(2048);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as Jwk;
    await rejectsInvalidRequest(() => importJwk('RSA', { ...one, d: other['d'] ?? '' }), /components are inconsistent/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' }) as Jwk;
    await rejectsInvalidRequest(() => importJwk('RSA', small), /2048, 3072 or 4096 bits; this key has 1024 bits/);
  });
});

describe('EC and oct members are measured before they are decoded', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as Jwk;

  it('an EC member longer than any curve needs is refused as too long; a slightly wrong one as before', async () => {
    for (const member of ['x', 'y', 'd']) {
      const huge = randomBytes(100_000).toString('base64url');
      const tooLong = new RegExp(`member '${member}' is too long for an EC private key \\(at most 88 characters`);
      await rejectsInvalidRequest(() => importJwk('EC', { ...ec, [member]: huge }), tooLong);
    }
    const longer = Buffer.concat([Buffer.alloc(1), Buffer.from(ec['x'] ?? '', 'base64url')]).toString('base64url');
    await rejectsInvalidRequest(() => importJwk('EC', { ...ec, x: longer }), /P-256 key must each be 32 bytes/);
  });

  it('a P-256 and a P-521 key still import', async () => {
    const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey.export({ format: 'jwk' }) as Jwk;
    assert.ok((p521['d'] ?? '').length <= EC_JWK_MEMBER_MAX_CHARS.d);
    assert.equal((await importJwk('EC', ec)).family, 'EC');
    assert.equal((await importJwk('EC', p521)).family, 'EC');
  });

  it('an oct k longer than 44 characters is refused as too long; a 20-byte one as before', async () => {
    const octJwk = (bytes: number): Jwk => ({ kty: 'oct', k: randomBytes(bytes).toString('base64url') });
    await rejectsInvalidRequest(() => importJwk('oct', octJwk(1_000)), /member 'k' is too long for a symmetric key/);
    await rejectsInvalidRequest(() => importJwk('oct', octJwk(20)), /must be 128, 192 or 256 bits/);
    const material = await importJwk('oct', { kty: 'oct', k: randomBytes(32).toString('base64') });
    assert.equal(material.family === 'oct' && material.sizeBits, 256);
  });
});
