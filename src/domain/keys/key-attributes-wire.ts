/**
 * A key version's attributes as Key Vault renders them (KeyAttributes): what a key bundle carries, over HTTP
 * (api/keys/key-bundles.ts) and inside the signed answer of a secure key release (release-answer.ts).
 */
import { wireLifecycleAttributes } from '../lifecycle-attributes.ts';
import { isTrusted, mustWrapWithTrusted, type KeyAttributes } from './key-model.ts';

export function wireKeyAttributes(attributes: KeyAttributes, retentionDays: number) {
  return {
    ...wireLifecycleAttributes(attributes, retentionDays),
    exportable: attributes.exportable,
    // Cloud HSM's CKA_TRUSTED and CKA_WRAP_WITH_TRUSTED (docs/cloud-hsm-keys.md); the SDKs ignore unknown members.
    trusted: isTrusted(attributes),
    wrapWithTrusted: mustWrapWithTrusted(attributes),
  };
}
