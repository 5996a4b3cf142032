/**
 * Every operation Strongroom performs, in one table, the way `crypto/algorithms.ts` lists algorithms. Each
 * entry is declared where its rules live; this table is what callers pick from (`perform(context,
 * OPERATIONS.sign, input)`), what routes name (`config.operation`), and what a test walks to prove that every
 * operation has a caller and every data-plane route an operation.
 */
import {
  getFullBackupStatus,
  getRestoreStatus,
  startFullBackup,
  startFullRestore,
  startPreFullBackup,
  startPreFullRestore,
  startSelectiveKeyRestore,
} from '../backup/backup-operations.ts';
import { backupKey, restoreKeyBackup } from '../keys/key-backup.ts';
import { createKey, importKey, updateKey } from '../keys/key-lifecycle.ts';
import { deleteKey, purgeDeletedKey, purgeExpiredKeys, recoverDeletedKey } from '../keys/key-deletion.ts';
import { getDeletedKey, getDeletedKeys, getKey, getKeys, getKeyVersions } from '../keys/key-reads.ts';
import { getKeyAttestation } from '../keys/key-attestation.ts';
import { releaseKey } from '../keys/key-release.ts';
import { exportKey } from '../keys/key-export.ts';
import { getKeyRotationPolicy, rotateKey, updateKeyRotationPolicy } from '../keys/key-rotation.ts';
import { notifyKeyNearExpiry, rotateKeyOnSchedule, runKeyRotationSchedule } from '../keys/rotation-schedule.ts';
import { deliverKeyEvents } from '../events/deliver-key-events.ts';
import { backupSecret, restoreSecret } from '../secrets/secret-backup.ts';
import { deleteSecret, purgeDeletedSecret, purgeExpiredSecrets, recoverDeletedSecret } from '../secrets/secret-deletion.ts';
import { setSecret, updateSecret } from '../secrets/secret-lifecycle.ts';
import { getDeletedSecret, getDeletedSecrets, getSecret, getSecrets, getSecretVersions } from '../secrets/secret-reads.ts';
import { decryptWithKey, encryptWithKey, sign, unwrapKey, verify, wrapKey } from '../keys/key-use.ts';
import { createPrincipal, deletePrincipal, getPrincipal, listPrincipals, resetPrincipalSecret } from '../principals/principal-operations.ts';
import { getRandomBytes } from '../random/random-bytes.ts';
import {
  createOrUpdateRoleDefinition,
  createRoleAssignment,
  deleteRoleAssignment,
  deleteRoleDefinition,
  getRoleAssignment,
  getRoleDefinition,
  listRoleAssignments,
  listRoleDefinitions,
} from '../rbac/role-operations.ts';
import {
  downloadSecurityDomain,
  getSecurityDomainDownloadStatus,
  getSecurityDomainUploadStatus,
  getTransferKey,
  uploadSecurityDomain,
} from '../custody/security-domain.ts';

export const OPERATIONS = {
  // key lifecycle
  createKey,
  importKey,
  getKey,
  updateKey,
  getKeys,
  getKeyVersions,
  deleteKey,
  getDeletedKey,
  getDeletedKeys,
  recoverDeletedKey,
  purgeDeletedKey,
  backupKey,
  restoreKey: restoreKeyBackup,
  // keys in and out, and their life cycle over time
  release: releaseKey,
  exportKey,
  getKeyAttestation,
  rotateKey,
  getKeyRotationPolicy,
  updateKeyRotationPolicy,
  // key use
  sign,
  verify,
  encrypt: encryptWithKey,
  decrypt: decryptWithKey,
  wrapKey,
  unwrapKey,
  // secrets (Key Vault's secrets API; a namespace apart from keys)
  setSecret,
  getSecret,
  updateSecret,
  getSecrets,
  getSecretVersions,
  deleteSecret,
  getDeletedSecret,
  getDeletedSecrets,
  recoverDeletedSecret,
  purgeDeletedSecret,
  backupSecret,
  restoreSecret,
  // other data actions
  getRandomBytes,
  // the security domain (custody)
  downloadSecurityDomain,
  getSecurityDomainDownloadStatus,
  getTransferKey,
  uploadSecurityDomain,
  getSecurityDomainUploadStatus,
  // full backup and restore (long-running)
  fullBackup: startFullBackup,
  preFullBackup: startPreFullBackup,
  fullBackupStatus: getFullBackupStatus,
  fullRestoreOperation: startFullRestore,
  preFullRestoreOperation: startPreFullRestore,
  selectiveKeyRestoreOperation: startSelectiveKeyRestore,
  restoreStatus: getRestoreStatus,
  // local RBAC
  listRoleDefinitions,
  getRoleDefinition,
  createOrUpdateRoleDefinition,
  deleteRoleDefinition,
  listRoleAssignments,
  getRoleAssignment,
  createRoleAssignment,
  deleteRoleAssignment,
  // service principals
  createPrincipal,
  listPrincipals,
  getPrincipal,
  resetPrincipalSecret,
  deletePrincipal,
  // scheduled jobs (the system caller; no route)
  purgeExpiredKeys,
  purgeExpiredSecrets,
  runKeyRotationSchedule,
  rotateKeyOnSchedule,
  notifyKeyNearExpiry,
  deliverKeyEvents,
} as const;

export type OperationName = keyof typeof OPERATIONS;

/** Operations no HTTP route names, and who calls them instead. */
export const NON_HTTP_CALLERS: Readonly<Partial<Record<OperationName, string>>> = {
  purgeExpiredKeys: 'the purge job (src/jobs/purge-job.ts), as the system caller',
  purgeExpiredSecrets: 'the purge job (src/jobs/purge-job.ts), after purgeExpiredKeys, as the system caller',
  runKeyRotationSchedule: 'the rotation job (src/jobs/rotation-job.ts) and `strongroom jobs run rotation`, as the system caller',
  rotateKeyOnSchedule: 'the rotation job, for each key whose Rotate trigger has come, as the system caller',
  notifyKeyNearExpiry: 'the rotation job, for each version whose Notify trigger has come, as the system caller',
  deliverKeyEvents: 'the rotation job, delivering the key-event outbox to --event-webhook, as the system caller',
};

export function isOperationName(name: string): name is OperationName {
  return Object.hasOwn(OPERATIONS, name);
}
