/**
 * The nine built-in roles of Managed HSM local RBAC, with the GUIDs, names and data actions of the live service
 * (reference §5.2), and Key Vault's two built-in roles for secrets (Managed HSM has no secrets; a vault does).
 * Their GUIDs cannot be reused by a custom role.
 */
import type { RoleDefinition } from './role-model.ts';

const PREFIX = 'Microsoft.KeyVault/managedHsm';
const SECRETS = 'Microsoft.KeyVault/vaults/secrets';
const actions = (...suffixes: string[]) => suffixes.map((suffix) => `${PREFIX}/${suffix}`);

const ROLE_ADMINISTRATION = actions(
  'roleAssignments/delete/action', 'roleAssignments/read/action', 'roleAssignments/write/action',
  'roleDefinitions/read/action', 'roleDefinitions/write/action', 'roleDefinitions/delete/action',
);

function builtIn(name: string, roleName: string, dataActions: string[]): RoleDefinition {
  return {
    name,
    roleName,
    description: '',
    type: 'AKVBuiltInRole',
    permissions: [{ actions: [], notActions: [], dataActions, notDataActions: [] }],
    assignableScopes: ['/'],
  };
}

export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  builtIn('a290e904-7015-4bba-90c8-60543313cdb4', 'Managed HSM Administrator', [
    ...ROLE_ADMINISTRATION,
    ...actions(
      'securitydomain/download/action', 'securitydomain/download/read', 'securitydomain/upload/action',
      'securitydomain/upload/read', 'securitydomain/transferkey/read',
      'backup/start/action', 'backup/status/action', 'restore/start/action', 'restore/status/action',
      // Strongroom's own (issue 12): marking a key trusted is an administrator's act.
      'keys/trusted/write/action',
    ),
  ]),
  builtIn('515eb02d-2335-4d2d-92f2-b1cbdf9c3778', 'Managed HSM Crypto Officer', [
    ...ROLE_ADMINISTRATION,
    ...actions('keys/deletedKeys/read/action', 'keys/deletedKeys/delete', 'keys/deletedKeys/recover/action', 'keys/export/action', 'keys/trusted/write/action'),
  ]),
  builtIn('21dbd100-6940-42c2-9190-5d6cb909625b', 'Managed HSM Crypto User', [
    ...actions('roleDefinitions/read/action', 'roleAssignments/read/action'),
    ...actions(
      'keys/read/action', 'keys/write/action', 'keys/delete', 'keys/create', 'keys/import/action', 'keys/release/action',
      'keys/backup/action', 'keys/restore/action', 'keys/encrypt/action', 'keys/decrypt/action', 'keys/wrap/action',
      'keys/unwrap/action', 'keys/sign/action', 'keys/verify/action', 'keys/rotate/action', 'rng/action',
    ),
  ]),
  builtIn('4bd23610-cdcf-4971-bdee-bdc562cc28e4', 'Managed HSM Policy Administrator', ROLE_ADMINISTRATION),
  builtIn('2c18b078-7c48-4d3a-af88-5a3a1b3f82b3', 'Managed HSM Crypto Auditor', [
    ...actions('roleAssignments/read/action', 'roleDefinitions/read/action', 'keys/read/action', 'keys/deletedKeys/read/action'),
  ]),
  builtIn('33413926-3206-4cdd-b39a-83574fe37a17', 'Managed HSM Crypto Service Encryption User', actions('keys/read/action', 'keys/wrap/action', 'keys/unwrap/action')),
  builtIn('21dbd100-6940-42c2-9190-5d6cb909625c', 'Managed HSM Crypto Service Release User', actions('keys/release/action')),
  builtIn('7b127d3c-77bd-4e3e-bbe0-dbb8971fa7f8', 'Managed HSM Backup', actions('backup/start/action', 'backup/status/action', 'keys/backup/action')),
  builtIn('6efe6056-5259-49d2-8b3d-d3d73544b20b', 'Managed HSM Restore', actions('restore/start/action', 'restore/status/action', 'keys/restore/action')),
  // Key Vault's secrets roles, with the data actions of their Azure definitions.
  builtIn('b86a8fe4-44ce-4948-aee5-eccb2c155cd7', 'Key Vault Secrets Officer', [`${SECRETS}/*`]),
  builtIn('4633458b-17de-408a-b874-0445c86b69e6', 'Key Vault Secrets User', [`${SECRETS}/getSecret/action`, `${SECRETS}/readMetadata/action`]),
];

export const BUILT_IN_ROLE_NAMES = {
  administrator: 'a290e904-7015-4bba-90c8-60543313cdb4',
  cryptoOfficer: '515eb02d-2335-4d2d-92f2-b1cbdf9c3778',
  cryptoUser: '21dbd100-6940-42c2-9190-5d6cb909625b',
  secretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
  secretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

const BY_NAME = new Map(BUILT_IN_ROLES.flatMap((role) => [[role.name, role], [role.roleName.toLowerCase(), role]] as const));

/** A built-in role by its GUID or its role name (any case). */
export function builtInRole(nameOrRoleName: string): RoleDefinition | undefined {
  return BY_NAME.get(nameOrRoleName) ?? BY_NAME.get(nameOrRoleName.toLowerCase());
}
