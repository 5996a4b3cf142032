/**
 * The audit key: one ES256 (P-256) key per instance that signs the chains' checkpoints. Its private key is sealed
 * under the node-identity root of trust (so under the security domain, like the token-signing key); its public
 * key is kept in the clear beside it, so `strongroom audit verify` checks checkpoints without unwrapping the domain.
 *
 * Setting `audit.signing-key`: {"keyId", "publicKeyPem", "sealedPrivateKey"} (the `json-member` form of
 * custody/node-identity-settings.ts, so an upload of another domain can re-seal it). Created once, cluster-safe:
 * every process that finds it missing creates one and `putSettingIfAbsent` keeps the first.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { RootOfTrust } from '../../keystore/root-of-trust.ts';
import type { SettingsReader, Store } from '../../storage/store.ts';

export const AUDIT_KEY_SETTING = 'audit.signing-key';

export interface StoredAuditKey {
  keyId: string;
  publicKeyPem: string;
  sealedPrivateKey: string;
}

export interface AuditSigner {
  readonly keyId: string;
  sign(payload: Buffer): string;
}

export interface AuditVerifier {
  readonly keyId: string;
  verify(payload: Buffer, signature: string): boolean;
}

/** The key id: the first 16 bytes (hex) of SHA-256 over the public key's SPKI DER. */
export function auditKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 32);
}

function createStoredKey(root: RootOfTrust): StoredAuditKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  try {
    return {
      keyId: auditKeyId(publicKey),
      publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      sealedPrivateKey: root.seal(der, AUDIT_KEY_SETTING).toString('base64'),
    };
  } finally {
    der.fill(0);
  }
}

/** The instance's audit key, created on first use; its private half opened with `root`. */
export async function openAuditSigner(store: Store, root: RootOfTrust): Promise<AuditSigner> {
  let stored = await store.reader.settings.getSetting(AUDIT_KEY_SETTING);
  if (stored === undefined) {
    const created = JSON.stringify(createStoredKey(root));
    stored = await store.transaction((unit) => unit.settings.putSettingIfAbsent(AUDIT_KEY_SETTING, created));
  }
  const parsed = JSON.parse(stored) as StoredAuditKey;
  const key = root.unsealPrivateKey(parsed.sealedPrivateKey, AUDIT_KEY_SETTING);
  if (auditKeyId(createPublicKey(key)) !== parsed.keyId) throw new Error('the audit key setting does not match its sealed private key');
  return {
    keyId: parsed.keyId,
    sign: (payload) => sign('sha256', payload, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
  };
}

export function verifierOf(publicKeyPem: string): AuditVerifier {
  const key = createPublicKey(publicKeyPem);
  return {
    keyId: auditKeyId(key),
    verify: (payload, signature) => {
      try {
        return verify('sha256', payload, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
      } catch {
        return false;
      }
    },
  };
}

/** The stored public key (no unwrapping needed), or undefined when the instance never made one. */
export async function readAuditVerifier(settings: SettingsReader): Promise<AuditVerifier | undefined> {
  const stored = await settings.getSetting(AUDIT_KEY_SETTING);
  return stored === undefined ? undefined : verifierOf((JSON.parse(stored) as StoredAuditKey).publicKeyPem);
}
