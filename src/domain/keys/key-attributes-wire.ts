/**
 * A key version's attributes as Key Vault renders them (KeyAttributes): what a key bundle carries, over HTTP
 * (api/keys/key-bundles.ts) and inside the signed answer of a secure key release (release-answer.ts).
 */
import { isTrusted, mustWrapWithTrusted, type KeyAttributes } from './key-model.ts';

export function wireKeyAttributes(attributes: KeyAttributes, retentionDays: number) {
  return {
    enabled: attributes.enabled,
    ...(attributes.nbf === undefined ? {} : { nbf: attributes.nbf }),
    ...(attributes.exp === undefined ? {} : { exp: attributes.exp }),
    created: attributes.created,
    updated: attributes.updated,
    recoverableDays: retentionDays,
    // Purge protection is off: deleted keys can be purged by a caller before their retention ends.
    recoveryLevel: retentionDays === 90 ? 'Recoverable+Purgeable' : 'CustomizedRecoverable+Purgeable',
    exportable: attributes.exportable,
    // Cloud HSM's CKA_TRUSTED and CKA_WRAP_WITH_TRUSTED (docs/cloud-hsm-keys.md); the SDKs ignore unknown members.
    trusted: isTrusted(attributes),
    wrapWithTrusted: mustWrapWithTrusted(attributes),
  };
}
