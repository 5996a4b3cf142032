/**
 * The settings sealed under the node-identity root (the token-signing key, the TLS CA's private key, the
 * security-domain transfer key, the audit key, the attestation root and signing key), in one list, so that an
 * upload that replaces the provisional domain re-seals every one of them under the new domain in the same unit
 * of work, and none is forgotten.
 */
import type { SealingKey } from '../keystore/sealing-key.ts';
import type { RootOfTrust } from '../keystore/root-of-trust.ts';
import type { SettingsReader } from '../storage/store.ts';
import { TRANSFER_KEY_SETTING } from './transfer-key.ts';
import { ATTESTATION_ROOT_SETTING, ATTESTATION_SIGNING_SETTING } from './instance-attestation.ts';

export const NODE_IDENTITY_SETTINGS = {
  tenantId: 'instance.tenant-id',
  signingKey: 'identity.token-signing-key',
  certificateAuthority: 'tls.certificate-authority',
  transferKey: TRANSFER_KEY_SETTING,
  /** The audit log's checkpoint-signing key (domain/audit/audit-key.ts, AUDIT_KEY_SETTING). */
  auditKey: 'audit.signing-key',
  /** The instance attestation root and signing key (custody/instance-attestation.ts). */
  attestationRoot: ATTESTATION_ROOT_SETTING,
  attestationSigningKey: ATTESTATION_SIGNING_SETTING,
} as const;

/** How each sealed setting holds its blob: the whole value, or the `sealedPrivateKey` member of a JSON object. */
const SEALED: ReadonlyArray<{ name: string; form: 'value' | 'json-member' }> = [
  { name: NODE_IDENTITY_SETTINGS.signingKey, form: 'value' },
  { name: NODE_IDENTITY_SETTINGS.certificateAuthority, form: 'json-member' },
  { name: NODE_IDENTITY_SETTINGS.transferKey, form: 'json-member' },
  { name: NODE_IDENTITY_SETTINGS.auditKey, form: 'json-member' },
  { name: NODE_IDENTITY_SETTINGS.attestationRoot, form: 'json-member' },
  { name: NODE_IDENTITY_SETTINGS.attestationSigningKey, form: 'json-member' },
];

/** Every node-identity setting, opened with `from` and sealed again with `to` (same contexts); absent ones skipped. */
export async function resealNodeIdentity(settings: SettingsReader, from: RootOfTrust, to: SealingKey): Promise<Array<{ name: string; value: string }>> {
  const resealed: Array<{ name: string; value: string }> = [];
  for (const { name, form } of SEALED) {
    const value = await settings.getSetting(name);
    if (value === undefined) continue;
    const reseal = (sealed: string) => {
      const plaintext = from.unseal(Buffer.from(sealed, 'base64'), name);
      try {
        return to.seal(plaintext, name).toString('base64');
      } finally {
        plaintext.fill(0);
      }
    };
    if (form === 'value') {
      resealed.push({ name, value: reseal(value) });
    } else {
      const parsed = JSON.parse(value) as { sealedPrivateKey: string };
      resealed.push({ name, value: JSON.stringify({ ...parsed, sealedPrivateKey: reseal(parsed.sealedPrivateKey) }) });
    }
  }
  return resealed;
}
