/** Real `@azure/keyvault-secrets` SecretClients (4.12 and, under its npm alias, 4.11) against a test server. */
import { SecretClient } from '@azure/keyvault-secrets';
import { SecretClient as SecretClient411 } from '@azure/keyvault-secrets-4.11';
import type { TestServer } from '../../harness/server-process.ts';
import { credentialFor } from './sdk.ts';

export type SdkLine = '4.12' | '4.11';
/** The one surface both versions share, as the tests use it. */
export type AnySecretClient = SecretClient;

/** The api-version each SDK line speaks by default. */
export const SERVICE_VERSION: Readonly<Record<SdkLine, '2026-04-01' | '2025-07-01'>> = { '4.12': '2026-04-01', '4.11': '2025-07-01' };

export function secretClientFor(server: TestServer, line: SdkLine, host = 'localhost'): AnySecretClient {
  const options = {
    agent: server.agent,
    disableChallengeResourceVerification: host === 'localhost',
    retryOptions: { maxRetries: 0 },
  };
  if (line === '4.12') return new SecretClient(server.url(host), credentialFor(server), { ...options, serviceVersion: SERVICE_VERSION['4.12'] });
  // 4.11's types are its own; at run time its methods are the ones the tests call.
  return new SecretClient411(server.url(host), credentialFor(server), { ...options, serviceVersion: '2025-07-01' }) as unknown as SecretClient;
}
