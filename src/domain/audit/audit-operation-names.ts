/**
 * The audit log's `operationName` of every kernel operation, in Managed HSM's audit vocabulary (`KeyCreate`,
 * `KeySign`, `RoleAssignmentCreate`, `SecurityDomainDownload`…), one table. Typed over the catalogue, so an
 * operation added without a name fails the type check (and test/unit/audit/operation-names.test.ts).
 *
 * Requests that never reach the kernel keep the name of the operation their route performs (a 401 on
 * `POST /keys/k/sign` is a `KeySign` with result `Unauthorized`, as in Key Vault's logs); the few without one
 * have the names in REQUEST_OPERATION_NAMES.
 */
import type { OperationName } from '../kernel/catalogue.ts';

export const AUDIT_OPERATION_NAMES: Readonly<Record<OperationName, string>> = {
  createKey: 'KeyCreate',
  importKey: 'KeyImport',
  getKey: 'KeyGet',
  updateKey: 'KeyUpdate',
  getKeys: 'KeyList',
  getKeyVersions: 'KeyListVersions',
  deleteKey: 'KeyDelete',
  getDeletedKey: 'KeyGetDeleted',
  getDeletedKeys: 'KeyListDeleted',
  recoverDeletedKey: 'KeyRecover',
  purgeDeletedKey: 'KeyPurge',
  backupKey: 'KeyBackup',
  restoreKey: 'KeyRestore',
  release: 'KeyRelease',
  exportKey: 'KeyExport',
  getKeyAttestation: 'KeyGetAttestation',
  rotateKey: 'KeyRotate',
  getKeyRotationPolicy: 'KeyRotationPolicyGet',
  updateKeyRotationPolicy: 'KeyRotationPolicyUpdate',
  sign: 'KeySign',
  verify: 'KeyVerify',
  encrypt: 'KeyEncrypt',
  decrypt: 'KeyDecrypt',
  wrapKey: 'KeyWrap',
  unwrapKey: 'KeyUnwrap',
  setSecret: 'SecretSet',
  getSecret: 'SecretGet',
  updateSecret: 'SecretUpdate',
  getSecrets: 'SecretList',
  getSecretVersions: 'SecretListVersions',
  deleteSecret: 'SecretDelete',
  getDeletedSecret: 'SecretGetDeleted',
  getDeletedSecrets: 'SecretListDeleted',
  recoverDeletedSecret: 'SecretRecover',
  purgeDeletedSecret: 'SecretPurge',
  backupSecret: 'SecretBackup',
  restoreSecret: 'SecretRestore',
  getRandomBytes: 'RandomBytesGet',
  downloadSecurityDomain: 'SecurityDomainDownload',
  getSecurityDomainDownloadStatus: 'SecurityDomainDownloadStatus',
  getTransferKey: 'SecurityDomainTransferKeyGet',
  uploadSecurityDomain: 'SecurityDomainUpload',
  getSecurityDomainUploadStatus: 'SecurityDomainUploadStatus',
  fullBackup: 'Backup',
  preFullBackup: 'PreBackup',
  fullBackupStatus: 'BackupStatus',
  fullRestoreOperation: 'Restore',
  preFullRestoreOperation: 'PreRestore',
  selectiveKeyRestoreOperation: 'SelectiveKeyRestore',
  restoreStatus: 'RestoreStatus',
  listRoleDefinitions: 'RoleDefinitionList',
  getRoleDefinition: 'RoleDefinitionGet',
  createOrUpdateRoleDefinition: 'RoleDefinitionCreate',
  deleteRoleDefinition: 'RoleDefinitionDelete',
  listRoleAssignments: 'RoleAssignmentList',
  getRoleAssignment: 'RoleAssignmentGet',
  createRoleAssignment: 'RoleAssignmentCreate',
  deleteRoleAssignment: 'RoleAssignmentDelete',
  createPrincipal: 'ServicePrincipalCreate',
  listPrincipals: 'ServicePrincipalList',
  getPrincipal: 'ServicePrincipalGet',
  resetPrincipalSecret: 'ServicePrincipalSecretReset',
  deletePrincipal: 'ServicePrincipalDelete',
  purgeExpiredKeys: 'KeyPurgeExpired',
  purgeExpiredSecrets: 'SecretPurgeExpired',
  runKeyRotationSchedule: 'KeyRotationScheduleRun',
  rotateKeyOnSchedule: 'KeyRotateScheduled',
  notifyKeyNearExpiry: 'KeyNearExpiryNotify',
  deliverKeyEvents: 'KeyEventDeliver',
};

/** Requests whose route performs no kernel operation. */
export const REQUEST_OPERATION_NAMES = {
  /** The token endpoints (client credentials, managed identity). */
  token: 'Authentication',
  /** OpenID discovery and the JWKS. */
  identityMetadata: 'IdentityMetadataGet',
  /** No route matched (404), or the request was refused before routing. */
  unknown: 'UnknownOperation',
} as const;

/** Start and checkpoint records. */
export const CHAIN_OPERATION_NAMES = { start: 'AuditChainStart', checkpoint: 'AuditCheckpoint' } as const;

export function auditOperationName(operation: string): string {
  return Object.hasOwn(AUDIT_OPERATION_NAMES, operation) ? AUDIT_OPERATION_NAMES[operation as OperationName] : REQUEST_OPERATION_NAMES.unknown;
}
