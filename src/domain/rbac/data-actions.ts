/**
 * The Managed HSM local-RBAC data actions, as routes declare them (`config.dataAction`). Names follow the
 * service's DataAction enum, so a role definition written for Azure reads the same here.
 */
const PREFIX = 'Microsoft.KeyVault/managedHsm';
const SECRETS = 'Microsoft.KeyVault/vaults/secrets';

export const DataActions = {
  readKey: `${PREFIX}/keys/read/action`,
  writeKey: `${PREFIX}/keys/write/action`,
  createKey: `${PREFIX}/keys/create`,
  importKey: `${PREFIX}/keys/import/action`,
  deleteKey: `${PREFIX}/keys/delete`,
  readDeletedKey: `${PREFIX}/keys/deletedKeys/read/action`,
  recoverDeletedKey: `${PREFIX}/keys/deletedKeys/recover/action`,
  purgeDeletedKey: `${PREFIX}/keys/deletedKeys/delete`,
  encrypt: `${PREFIX}/keys/encrypt/action`,
  decrypt: `${PREFIX}/keys/decrypt/action`,
  wrapKey: `${PREFIX}/keys/wrap/action`,
  unwrapKey: `${PREFIX}/keys/unwrap/action`,
  sign: `${PREFIX}/keys/sign/action`,
  verify: `${PREFIX}/keys/verify/action`,
  releaseKey: `${PREFIX}/keys/release/action`,
  rotateKey: `${PREFIX}/keys/rotate/action`,
  /** Export by wrapping (Cloud HSM's wrap of an EXTRACTABLE key), granted by Crypto Officer. */
  exportKey: `${PREFIX}/keys/export/action`,
  /** Strongroom's own: set or clear a key's `trusted` attribute (Cloud HSM's CKA_TRUSTED), an administrator's act. */
  setKeyTrusted: `${PREFIX}/keys/trusted/write/action`,
  randomBytes: `${PREFIX}/rng/action`,
  backupKey: `${PREFIX}/keys/backup/action`,
  restoreKey: `${PREFIX}/keys/restore/action`,
  downloadSecurityDomain: `${PREFIX}/securitydomain/download/action`,
  readSecurityDomainDownload: `${PREFIX}/securitydomain/download/read`,
  uploadSecurityDomain: `${PREFIX}/securitydomain/upload/action`,
  readSecurityDomainUpload: `${PREFIX}/securitydomain/upload/read`,
  readTransferKey: `${PREFIX}/securitydomain/transferkey/read`,
  startBackup: `${PREFIX}/backup/start/action`,
  readBackupStatus: `${PREFIX}/backup/status/action`,
  startRestore: `${PREFIX}/restore/start/action`,
  readRestoreStatus: `${PREFIX}/restore/status/action`,
  readRoleDefinitions: `${PREFIX}/roleDefinitions/read/action`,
  writeRoleDefinitions: `${PREFIX}/roleDefinitions/write/action`,
  deleteRoleDefinitions: `${PREFIX}/roleDefinitions/delete/action`,
  readRoleAssignments: `${PREFIX}/roleAssignments/read/action`,
  writeRoleAssignments: `${PREFIX}/roleAssignments/write/action`,
  deleteRoleAssignments: `${PREFIX}/roleAssignments/delete/action`,
  // Secrets: Key Vault's own vocabulary (`Microsoft.KeyVault/vaults/secrets/*`), so a role written for a vault
  // reads the same here. Metadata (listings, deleted secrets) and values are separate actions.
  getSecret: `${SECRETS}/getSecret/action`,
  setSecret: `${SECRETS}/setSecret/action`,
  readSecretMetadata: `${SECRETS}/readMetadata/action`,
  updateSecret: `${SECRETS}/update/action`,
  deleteSecret: `${SECRETS}/delete`,
  backupSecret: `${SECRETS}/backup/action`,
  restoreSecret: `${SECRETS}/restore/action`,
  recoverDeletedSecret: `${SECRETS}/recover/action`,
  purgeDeletedSecret: `${SECRETS}/purge/action`,
} as const;

export type DataAction = (typeof DataActions)[keyof typeof DataActions];
