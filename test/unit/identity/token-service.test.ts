import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSigningKey, describeSigningKey, TokenService } from '../../../src/domain/identity/token-service.ts';

const TENANT = '7ff7e245-9fc9-4ab2-a14c-4da64f5ff73e';

async function service(lifetimeSeconds = 600) {
  return new TokenService({
    signingKey: await describeSigningKey(createSigningKey()),
    tenantId: TENANT,
    lifetimeSeconds,
    isOwnHost: (hostname) => hostname === 'localhost' || hostname.endsWith('.vault.localhost'),
    isActivePrincipal: async () => true,
  });
}

test('a token verifies for its audience, and not for another', async () => {
  const tokens = await service();
  const token = await tokens.issue('client-1', 'https://vault.localhost', 'https://myvault.vault.localhost:8443');
  assert.deepEqual(await tokens.verify(token, 'https://vault.localhost'), { id: 'client-1', tenantId: TENANT });
  assert.equal(await tokens.verify(token, 'https://localhost'), 'wrong-audience');
});

test('expiry is checked on every use, also for tokens already verified once', async () => {
  const tokens = await service(600);
  const token = await tokens.issue('client-1', 'https://localhost', 'https://localhost:8443');
  const now = Date.now() / 1000;
  assert.equal(typeof (await tokens.verify(token, 'https://localhost', now)), 'object');
  // 600 s lifetime plus the 60 s clock tolerance.
  assert.equal(typeof (await tokens.verify(token, 'https://localhost', now + 655)), 'object');
  assert.equal(await tokens.verify(token, 'https://localhost', now + 700), 'expired');
});

test('a token from another service instance (another signing key) is invalid', async () => {
  const other = await service();
  const token = await other.issue('client-1', 'https://localhost', 'https://localhost:8443');
  assert.equal(await (await service()).verify(token, 'https://localhost'), 'invalid');
});

test('an issuer on a host our certificate does not cover is invalid', async () => {
  const tokens = await service();
  const token = await tokens.issue('client-1', 'https://localhost', 'https://evil.example:443');
  assert.equal(await tokens.verify(token, 'https://localhost'), 'invalid');
});

test('a TokenService cannot be built without isActivePrincipal', async () => {
  const options = {
    signingKey: await describeSigningKey(createSigningKey()),
    tenantId: TENANT,
    lifetimeSeconds: 600,
    isOwnHost: () => true,
  };
  assert.throws(() => new TokenService(options as unknown as ConstructorParameters<typeof TokenService>[0]), TypeError);
});
