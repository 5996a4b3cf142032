/**
 * The first administrator: a service principal created on first start, whose credentials are written once to
 * `<data-dir>/admin-credentials.json` (mode 0600). The database keeps only the secret's hash, so the file is
 * the only copy of the secret: an operator moves it somewhere safe (and may delete it).
 *
 * Because it is the only copy, the file is never rewritten in place: a change (the `authorityHost` after a start
 * on another port) replaces it atomically (lib/atomic-file.ts), and a start with nothing to change leaves it
 * untouched. A file that is there but empty or damaged stops the start with one line saying what to do.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { generateClientSecret, hashClientSecret } from '../domain/identity/client-secrets.ts';
import { BUILT_IN_ROLE_NAMES } from '../domain/rbac/built-in-roles.ts';
import { newRoleAssignmentName } from '../domain/rbac/role-operations.ts';
import { nowIntDate } from '../lib/intdate.ts';
import { writeFileAtomically } from '../lib/atomic-file.ts';
import { instancePaths, type Instance } from './instance.ts';

const ADMIN_PRINCIPAL_SETTING = 'identity.admin-principal-id';
/**
 * What the first administrator may do: the quick start's everything, at `/`, in grants made once each. A marker
 * setting remembers each grant, so that removing a role later (separation of duties) sticks, and so that a grant
 * added by a later release (Secrets Officer, with secrets) reaches an existing instance's administrator once.
 */
const FIRST_ADMINISTRATOR_GRANTS: ReadonlyArray<{ marker: string; roles: readonly string[] }> = [
  { marker: 'rbac.first-administrator-roles', roles: [BUILT_IN_ROLE_NAMES.administrator, BUILT_IN_ROLE_NAMES.cryptoOfficer, BUILT_IN_ROLE_NAMES.cryptoUser] },
  { marker: 'rbac.first-administrator-secrets-officer', roles: [BUILT_IN_ROLE_NAMES.secretsOfficer] },
];

export interface AdminCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
}

/** Creates the administrator on first start; later starts find it and only check its credentials file. */
export async function ensureAdminPrincipal(instance: Instance, authorityHost: string): Promise<void> {
  const path = instancePaths(instance.dataDir).adminCredentials;
  const existing = await instance.store.reader.settings.getSetting(ADMIN_PRINCIPAL_SETTING);
  if (existing !== undefined) {
    // Before listening, so that a damaged file is reported now rather than after the service has come up.
    if (existsSync(path)) readCredentialsFile(path);
    // An instance made before local RBAC: its administrator gets its roles once.
    await assignFirstAdministratorRoles(instance, existing);
    return;
  }
  const credentials: AdminCredentials = {
    tenantId: instance.tenantId,
    clientId: randomUUID(),
    clientSecret: generateClientSecret(),
    authorityHost,
  };
  // The file first: if the process dies before the principal is stored, the next start simply makes a new one.
  writeCredentialsFile(path, credentials);
  const principal = {
    id: credentials.clientId,
    displayName: 'Strongroom administrator',
    secretHash: await hashClientSecret(credentials.clientSecret),
    created: nowIntDate(),
    generation: 1,
  };
  await instance.store.transaction(async (unit) => {
    await unit.principals.addPrincipal(principal);
    await unit.settings.putSetting(ADMIN_PRINCIPAL_SETTING, credentials.clientId);
  });
  await assignFirstAdministratorRoles(instance, credentials.clientId);
}

/** Administrator, Crypto Officer, Crypto User and Secrets Officer at `/`, each grant once per instance. */
async function assignFirstAdministratorRoles(instance: Instance, principalId: string): Promise<void> {
  for (const { marker, roles } of FIRST_ADMINISTRATOR_GRANTS) {
    if ((await instance.store.reader.settings.getSetting(marker)) !== undefined) continue;
    await instance.store.transaction(async (unit) => {
      if ((await unit.settings.getSetting(marker)) !== undefined) return;
      for (const role of roles) {
        // A duplicate (another node of a cluster did it at the same moment) is as good as added.
        await unit.roles.addRoleAssignment({ name: newRoleAssignmentName(), scope: '/', roleDefinitionName: role, principalId });
      }
      await unit.settings.putSetting(marker, 'assigned');
    });
  }
}

/** Keeps `authorityHost` in the credentials file pointing at where the service listens now. */
export function refreshAuthorityHost(dataDir: string, authorityHost: string): void {
  const path = instancePaths(dataDir).adminCredentials;
  if (!existsSync(path)) return;
  const credentials = readCredentialsFile(path);
  if (credentials.authorityHost !== authorityHost) writeCredentialsFile(path, { ...credentials, authorityHost });
}

function writeCredentialsFile(path: string, credentials: AdminCredentials): void {
  writeFileAtomically(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}

/** The credentials in the file, or an Error whose message tells the operator what to do. */
function readCredentialsFile(path: string): AdminCredentials {
  const text = readFileSync(path, 'utf8');
  const credentials = parseCredentials(text);
  if (credentials !== undefined) return credentials;
  const what = text.trim() === '' ? 'is empty' : 'is not the administrator credentials file Strongroom wrote';
  throw new Error(`${path} ${what}: put back your saved copy of it, or remove it to start without it`);
}

function parseCredentials(text: string): AdminCredentials | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { tenantId, clientId, clientSecret, authorityHost } = record;
  if (typeof tenantId !== 'string' || typeof clientId !== 'string' || typeof clientSecret !== 'string' || typeof authorityHost !== 'string') {
    return undefined;
  }
  return { ...record, tenantId, clientId, clientSecret, authorityHost };
}
