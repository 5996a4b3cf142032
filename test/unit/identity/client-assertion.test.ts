/**
 * Certificate credentials: the client assertion MSAL's ClientCertificateCredential signs (PS256 + x5t#S256, or
 * RS256 + x5t), checked against the principal's registered certificate; anything else, and a second use, refused.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { SignJWT } from 'jose';
import { makeCustodians } from '../../../harness/custodians.ts';
import { certificateThumbprints, ClientAssertions } from '../../../src/domain/identity/client-assertion.ts';

const pair = makeCustodians(2);
after(() => pair.close());
const [mine, other] = pair.members as [NonNullable<(typeof pair.members)[0]>, NonNullable<(typeof pair.members)[0]>];
const ENDPOINT = 'https://localhost:8443/tenant/oauth2/v2.0/token';
const expected = { clientId: 'client-1', certificatePem: mine.certificatePem, audiences: [ENDPOINT] };

function assertion(options: { alg?: 'PS256' | 'RS256'; key?: typeof mine; aud?: string; iss?: string; lifetime?: number; jti?: string; thumbprint?: 'right' | 'wrong' } = {}) {
  const alg = options.alg ?? 'PS256';
  const thumbprints = certificateThumbprints((options.thumbprint === 'wrong' ? other : mine).certificatePem);
  const header = alg === 'PS256' ? { alg, typ: 'JWT', 'x5t#S256': thumbprints.x5tS256 } : { alg, typ: 'JWT', x5t: thumbprints.x5t };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: options.jti ?? randomUUID() })
    .setProtectedHeader(header)
    .setIssuer(options.iss ?? 'client-1')
    .setSubject(options.iss ?? 'client-1')
    .setAudience(options.aud ?? ENDPOINT)
    .setNotBefore(now)
    .setExpirationTime(now + (options.lifetime ?? 600))
    .sign((options.key ?? mine).privateKey);
}

test('MSAL\'s two forms verify once; a replay is refused', async () => {
  const assertions = new ClientAssertions();
  for (const alg of ['PS256', 'RS256'] as const) {
    const token = await assertion({ alg });
    assert.equal(await assertions.verify(token, expected), true, alg);
    assert.equal(await assertions.verify(token, expected), 'replayed', alg);
  }
});

test('another key, another client, another audience, a wrong thumbprint, a long lifetime: invalid', async () => {
  const assertions = new ClientAssertions();
  assert.equal(await assertions.verify(await assertion({ key: other }), expected), 'invalid');
  assert.equal(await assertions.verify(await assertion({ iss: 'client-2' }), expected), 'invalid');
  assert.equal(await assertions.verify(await assertion({ aud: 'https://elsewhere/token' }), expected), 'invalid');
  assert.equal(await assertions.verify(await assertion({ thumbprint: 'wrong' }), expected), 'invalid');
  assert.equal(await assertions.verify(await assertion({ lifetime: 86_400 }), expected), 'invalid');
  assert.equal(await assertions.verify('not.a.jwt', expected), 'invalid');
});
