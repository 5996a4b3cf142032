/**
 * The first administrator: a service principal created on first start, whose credentials are written once to
 * `<data-dir>/admin-credentials.json` (mode 0600). The database keeps only the secret's hash, so the file is
 * the only copy of the secret: an operator moves it somewhere safe (and may delete it).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateClientSecret, hashClientSecret } from '../domain/identity/client-secrets.ts';
import { nowIntDate } from '../lib/intdate.ts';
import { instancePaths, type Instance } from './instance.ts';

const ADMIN_PRINCIPAL_SETTING = 'identity.admin-principal-id';

export interface AdminCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
}

/** Creates the administrator on first start; later starts find it and do nothing. */
export async function ensureAdminPrincipal(instance: Instance, authorityHost: string): Promise<void> {
  if ((await instance.store.reader.settings.getSetting(ADMIN_PRINCIPAL_SETTING)) !== undefined) return;
  const credentials: AdminCredentials = {
    tenantId: instance.tenantId,
    clientId: randomUUID(),
    clientSecret: generateClientSecret(),
    authorityHost,
  };
  // The file first: if the process dies before the principal is stored, the next start simply makes a new one.
  writeCredentialsFile(instancePaths(instance.dataDir).adminCredentials, credentials);
  const principal = {
    id: credentials.clientId,
    displayName: 'Strongroom administrator',
    secretHash: await hashClientSecret(credentials.clientSecret),
    created: nowIntDate(),
  };
  await instance.store.transaction(async (unit) => {
    await unit.principals.addPrincipal(principal);
    await unit.settings.putSetting(ADMIN_PRINCIPAL_SETTING, credentials.clientId);
  });
}

/** Keeps `authorityHost` in the credentials file pointing at where the service listens now. */
export function refreshAuthorityHost(dataDir: string, authorityHost: string): void {
  const path = instancePaths(dataDir).adminCredentials;
  if (!existsSync(path)) return;
  const credentials = JSON.parse(readFileSync(path, 'utf8')) as AdminCredentials;
  if (credentials.authorityHost !== authorityHost) writeCredentialsFile(path, { ...credentials, authorityHost });
}

function writeCredentialsFile(path: string, credentials: AdminCredentials): void {
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}
