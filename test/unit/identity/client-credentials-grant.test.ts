/**
 * The grant's use of the failed-login throttle and the bounded hashing (issue 7): a throttled or refused
 * attempt spends no hash, a successful login does not count, unknown client ids are treated like known ones.
 * Hashes are counted through the grant's `verifySecret` seam; the clock is fake.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  grantClientCredentials,
  OAuthError,
  prepareClientCredentialsGrant,
  type ClientCredentialsRequest,
} from '../../../src/domain/identity/client-credentials-grant.ts';
import { secretHashingStatistics } from '../../../src/domain/identity/client-secrets.ts';
import { CLIENT_FAILURES, LoginThrottle } from '../../../src/domain/identity/login-throttle.ts';
import { SecretHashingBusy } from '../../../src/domain/identity/scrypt-pool.ts';
import { createSigningKey, describeSigningKey, TokenService } from '../../../src/domain/identity/token-service.ts';

const TENANT = '7ff7e245-9fc9-4ab2-a14c-4da64f5ff73e';

async function fixture(verify?: (secret: string, stored: string) => Promise<boolean>) {
  const tokens = new TokenService({
    signingKey: await describeSigningKey(createSigningKey()),
    tenantId: TENANT,
    lifetimeSeconds: 600,
    isOwnHost: () => true,
    isActivePrincipal: async () => true,
  });
  const principals = new Map([
    ['client-1', { id: 'client-1', secretHash: 'hash:right-1' }],
    ['client-2', { id: 'client-2', secretHash: 'hash:right-2' }],
  ]);
  const counter = { hashes: 0 };
  let now = 1_000_000;
  const deps = {
    principals: { getPrincipal: async (id: string) => principals.get(id) },
    tokens,
    throttle: new LoginThrottle({ now: () => now }),
    verifySecret: verify ?? (async (secret: string, stored: string) => {
      counter.hashes += 1;
      return stored === `hash:${secret}`;
    }),
  };
  const login = (clientId: string | undefined, clientSecret: string | undefined, sourceAddress = '192.0.2.1') => {
    const request: ClientCredentialsRequest = {
      tenant: TENANT, grantType: 'client_credentials', clientId, clientSecret,
      scope: 'https://localhost/.default', origin: 'https://localhost:8443', sourceAddress,
    };
    return grantClientCredentials(deps, request);
  };
  return { login, counter, advance: (ms: number) => { now += ms; } };
}

async function refusal(attempt: Promise<unknown>): Promise<OAuthError> {
  try {
    await attempt;
  } catch (error) {
    assert.ok(error instanceof OAuthError, String(error));
    return error;
  }
  assert.fail('the login succeeded');
}

describe('the failed-login throttle in the grant', () => {
  test(`after ${CLIENT_FAILURES.burst} wrong secrets a client id gets 429 with Retry-After, without a hash`, async () => {
    const { login, counter } = await fixture();
    for (let i = 0; i < CLIENT_FAILURES.burst; i += 1) assert.equal((await refusal(login('client-1', 'wrong'))).status, 401);
    assert.equal(counter.hashes, CLIENT_FAILURES.burst);
    for (const secret of ['wrong', 'right-1']) {
      const throttled = await refusal(login('client-1', secret));
      assert.equal(throttled.status, 429);
      assert.equal(throttled.error, 'temporarily_unavailable');
      assert.equal(throttled.retryAfterSeconds, 1);
    }
    assert.equal(counter.hashes, CLIENT_FAILURES.burst, 'throttled attempts spent no hash');
  });

  test('another client still signs in while one is throttled; the throttled one recovers with time', async () => {
    const { login, advance } = await fixture();
    for (let i = 0; i < CLIENT_FAILURES.burst; i += 1) await refusal(login('client-1', 'wrong'));
    assert.equal((await refusal(login('client-1', 'right-1'))).status, 429);
    assert.equal((await login('client-2', 'right-2')).token_type, 'Bearer');
    advance(1_000);
    assert.equal((await login('client-1', 'right-1')).token_type, 'Bearer');
  });

  test('successful logins do not count against the client', async () => {
    const { login, counter } = await fixture();
    for (let i = 0; i < 3 * CLIENT_FAILURES.burst; i += 1) assert.equal((await login('client-1', 'right-1')).token_type, 'Bearer');
    assert.equal(counter.hashes, 3 * CLIENT_FAILURES.burst);
  });

  test('unknown client ids are throttled exactly like known ones', async () => {
    const { login } = await fixture();
    for (let i = 0; i < CLIENT_FAILURES.burst; i += 1) assert.equal((await refusal(login('no-such-client', 'x'))).status, 401);
    assert.equal((await refusal(login('no-such-client', 'x'))).status, 429);
  });

  test('a missing client id or secret is refused without a hash and without counting', async () => {
    const { login, counter } = await fixture();
    for (let i = 0; i < 3 * CLIENT_FAILURES.burst; i += 1) {
      assert.equal((await refusal(login('client-1', undefined))).status, 401);
      assert.equal((await refusal(login(undefined, 'x'))).status, 401);
    }
    assert.equal(counter.hashes, 0);
    assert.equal((await login('client-1', 'right-1')).token_type, 'Bearer');
  });
});

describe('bounded hashing in the grant', () => {
  test('a full hashing queue answers 503 with Retry-After, and does not count as a failure', async () => {
    const { login } = await fixture(async () => {
      throw new SecretHashingBusy(1);
    });
    for (let i = 0; i < 3 * CLIENT_FAILURES.burst; i += 1) {
      const busy = await refusal(login('client-1', 'right-1'));
      assert.equal(busy.status, 503);
      assert.equal(busy.error, 'temporarily_unavailable');
      assert.equal(busy.retryAfterSeconds, 1);
    }
  });
});

describe('prepareClientCredentialsGrant', () => {
  test('computes the decoy hash ahead, so an unknown client then costs one hash, not two', async () => {
    await prepareClientCredentialsGrant();
    await prepareClientCredentialsGrant();
    const before = secretHashingStatistics().completed;
    const { login } = await fixture(); // counting verifier: no real hash but the decoy's would show
    await refusal(login('no-such-client', 'x'));
    assert.equal(secretHashingStatistics().completed, before, 'the decoy was not computed on the request');
  });
});
