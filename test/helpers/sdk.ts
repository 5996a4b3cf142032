/** The real Azure SDK clients, authenticated by the real ClientSecretCredential against the test server. */
import { ClientSecretCredential } from '@azure/identity';
import { CryptographyClient, KeyClient } from '@azure/keyvault-keys';
import type { TestServer } from '../../harness/server-process.ts';

export function credentialFor(server: TestServer): ClientSecretCredential {
  const { tenantId, clientId, clientSecret, authorityHost } = server.credentials;
  return new ClientSecretCredential(tenantId, clientId, clientSecret, {
    authorityHost,
    disableInstanceDiscovery: true,
    agent: server.agent,
  });
}

/**
 * A KeyClient on `https://localhost:PORT` (resource verification off, as a client on a bare host must) or on
 * a vault-style name such as `myvault.vault.localhost` (verification on, as against Azure).
 */
export function keyClientFor(server: TestServer, host: 'localhost' | `${string}.vault.localhost` | `${string}.managedhsm.localhost` = 'localhost'): KeyClient {
  return new KeyClient(server.url(host), credentialFor(server), {
    agent: server.agent,
    disableChallengeResourceVerification: host === 'localhost',
    retryOptions: { maxRetries: 0 },
  });
}

export function cryptographyClientFor(server: TestServer, keyId: string): CryptographyClient {
  return new CryptographyClient(keyId, credentialFor(server), {
    agent: server.agent,
    disableChallengeResourceVerification: new URL(keyId).hostname === 'localhost',
    retryOptions: { maxRetries: 0 },
  });
}
