/**
 * Issue 7, Info #13: the token verifier accepted too much. A genuine signature over claims we never issue
 * (a principal that does not exist or was deleted, `exp` in year 9999, `iat` a day ahead) verified, and so did
 * the high-S twin of a genuine ES256 signature. Each refusal below failed on the old verifier; the last tests
 * show that the tokens the service issues still verify.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeJwt, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { hasLowS, toLowS } from '../../src/domain/identity/es256-low-s.ts';
import {
  createSigningKey,
  describeSigningKey,
  PRINCIPAL_RECHECK_SECONDS,
  TokenService,
  type SigningKey,
} from '../../src/domain/identity/token-service.ts';

const TENANT = '7ff7e245-9fc9-4ab2-a14c-4da64f5ff73e';
const AUDIENCE = 'https://localhost';
const LIFETIME = 600;
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

async function fixture(isActivePrincipal: (id: string) => Promise<boolean> = async () => true) {
  const signingKey = await describeSigningKey(createSigningKey());
  const tokens = new TokenService({
    signingKey,
    tenantId: TENANT,
    lifetimeSeconds: LIFETIME,
    isOwnHost: (hostname) => hostname === 'localhost',
    isActivePrincipal,
  });
  return { signingKey, tokens };
}

/** A token with our key and our claims, except for `changes`; low-S, so only the claims can be wrong. */
async function craft(signingKey: SigningKey, changes: JWTPayload & { iat?: number | undefined }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    tid: TENANT, oid: 'client-1', sub: 'client-1', aud: AUDIENCE, iss: `https://localhost:8443/${TENANT}/v2.0`,
    iat: now, nbf: now, exp: now + LIFETIME, ...changes,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  const jws = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: signingKey.kid }).sign(signingKey.privateKey);
  return toLowS(jws);
}

/** The same token with s replaced by n − s: a second signature that verifies as well as the first. */
function highSTwin(jws: string): string {
  const [header, payload, signature = ''] = jws.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), flipped]).toString('base64url')}`;
}

describe('tokens are bound to principals that exist', () => {
  test('a genuine token for a principal that does not exist is invalid', async () => {
    const { tokens } = await fixture(async (id) => id === 'someone-else');
    const token = await tokens.issue('client-1', AUDIENCE, 'https://localhost:8443');
    assert.equal(await tokens.verify(token, AUDIENCE), 'invalid');
  });

  test(`deleting a principal revokes its cached tokens within ${PRINCIPAL_RECHECK_SECONDS} s`, async () => {
    let active = true;
    let lookups = 0;
    const { tokens } = await fixture(async () => {
      lookups += 1;
      return active;
    });
    const token = await tokens.issue('client-1', AUDIENCE, 'https://localhost:8443');
    const now = Date.now() / 1000;
    assert.equal(typeof (await tokens.verify(token, AUDIENCE, now)), 'object');
    assert.equal(lookups, 1);
    active = false;
    // Within the bound the cached verification still vouches for the principal, without a lookup.
    assert.equal(typeof (await tokens.verify(token, AUDIENCE, now + PRINCIPAL_RECHECK_SECONDS - 1)), 'object');
    assert.equal(lookups, 1);
    // Past it the principal is asked about again, and its deletion shows.
    assert.equal(await tokens.verify(token, AUDIENCE, now + PRINCIPAL_RECHECK_SECONDS), 'invalid');
    assert.equal(await tokens.verify(token, AUDIENCE, now + PRINCIPAL_RECHECK_SECONDS + 1), 'invalid');
  });

  test('concurrent requests with a stale cached token share one lookup', async () => {
    let lookups = 0;
    const { tokens } = await fixture(async () => {
      lookups += 1;
      return true;
    });
    const token = await tokens.issue('client-1', AUDIENCE, 'https://localhost:8443');
    const now = Date.now() / 1000;
    await tokens.verify(token, AUDIENCE, now);
    const later = now + PRINCIPAL_RECHECK_SECONDS + 1;
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => tokens.verify(token, AUDIENCE, later)));
    assert.ok(outcomes.every((outcome) => typeof outcome === 'object'));
    assert.equal(lookups, 2);
  });
});

describe('exp is bounded by the lifetime the service issues', () => {
  test('exp in year 9999 is invalid', async () => {
    const { signingKey, tokens } = await fixture();
    assert.equal(await tokens.verify(await craft(signingKey, { exp: 253_402_300_799 }), AUDIENCE), 'invalid');
  });

  test('exp − iat beyond the lifetime plus the 60 s tolerance is invalid; exactly the lifetime verifies', async () => {
    const { signingKey, tokens } = await fixture();
    const iat = Math.floor(Date.now() / 1000);
    assert.equal(await tokens.verify(await craft(signingKey, { iat, exp: iat + LIFETIME + 61 }), AUDIENCE), 'invalid');
    assert.equal(typeof (await tokens.verify(await craft(signingKey, { iat, exp: iat + LIFETIME }), AUDIENCE)), 'object');
  });

  test('a token without iat is invalid', async () => {
    const { signingKey, tokens } = await fixture();
    assert.equal(await tokens.verify(await craft(signingKey, { iat: undefined }), AUDIENCE), 'invalid');
  });
});

describe('iat may not be in the future beyond the clock skew', () => {
  test('iat a day ahead is invalid, even with a lifetime-sized exp', async () => {
    const { signingKey, tokens } = await fixture();
    const iat = Math.floor(Date.now() / 1000) + 86_400;
    assert.equal(await tokens.verify(await craft(signingKey, { iat, nbf: undefined, exp: iat + LIFETIME }), AUDIENCE), 'invalid');
  });

  test('iat 30 s ahead (a server clock slightly behind) is accepted; 120 s ahead is not', async () => {
    const { signingKey, tokens } = await fixture();
    const now = Math.floor(Date.now() / 1000);
    const ahead = async (seconds: number) =>
      tokens.verify(await craft(signingKey, { iat: now + seconds, nbf: undefined, exp: now + seconds + LIFETIME }), AUDIENCE);
    assert.equal(typeof (await ahead(30)), 'object');
    assert.equal(await ahead(120), 'invalid');
  });
});

describe('only canonical (low-S) ES256 signatures', () => {
  test('the high-S twin of a genuine token verifies cryptographically but is refused', async () => {
    const { signingKey, tokens } = await fixture();
    const genuine = await tokens.issue('client-1', AUDIENCE, 'https://localhost:8443');
    const twin = highSTwin(genuine);
    assert.notEqual(twin, genuine);
    await jwtVerify(twin, signingKey.publicKey); // the twin is a valid ECDSA signature over the same bytes
    assert.equal(await tokens.verify(twin, AUDIENCE), 'invalid');
    assert.equal(typeof (await tokens.verify(genuine, AUDIENCE)), 'object');
  });

  test('every token the service issues is low-S, with the header and claims it always had', async () => {
    const { signingKey, tokens } = await fixture();
    for (let i = 0; i < 64; i += 1) {
      const token = await tokens.issue('client-1', AUDIENCE, 'https://localhost:8443');
      assert.ok(hasLowS(token), `token ${i} is high-S`);
      await jwtVerify(token, signingKey.publicKey, { issuer: `https://localhost:8443/${TENANT}/v2.0`, audience: AUDIENCE });
    }
    const token = await tokens.issue('client-1', AUDIENCE, 'https://localhost:8443');
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as unknown;
    assert.deepEqual(header, { alg: 'ES256', typ: 'JWT', kid: signingKey.kid });
    const claims = decodeJwt(token);
    // `gen` (issue 10): the principal's credential generation, so that a secret reset revokes older tokens.
    assert.deepEqual(Object.keys(claims).sort(), ['appid', 'aud', 'azp', 'exp', 'gen', 'iat', 'idtyp', 'iss', 'jti', 'nbf', 'oid', 'sub', 'tid', 'ver']);
    assert.equal(claims['gen'], 1);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), LIFETIME);
  });
});
