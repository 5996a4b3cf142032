/**
 * The domain key: 32 random bytes from which every sealing key of an instance is derived (HKDF-SHA256, one key
 * per purpose), so that the node's identity, customer key material and backups are sealed under different keys
 * that all come from one secret. The domain key is what a security domain download splits among custodians and
 * an upload brings into a new instance; it is never stored in the clear: the unseal provider wraps it
 * (`unseal/`), and the wrapped form is kept in the store (`sealed-domain.ts`).
 *
 * An instance of the first releases sealed everything under a key-encryption-key file; that key becomes the
 * domain key when such an instance is migrated (the derivations are the same, so nothing is re-sealed), and
 * it opens the first release's v1 blobs too.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { legacySealingKey, sealingKey, type SealingKey } from '../keystore/sealing-key.ts';

export const DOMAIN_KEY_BYTES = 32;

/** What each derived key seals. */
export type SealingPurpose = 'node-identity' | 'key-material' | 'backup';

export interface DomainKey {
  /** Names the domain without revealing it: equal ids, same domain. */
  readonly id: string;
  derive(purpose: SealingPurpose): SealingKey;
  /** Opens the first release's v1 blobs (sealed directly under what is now the domain key). */
  readonly legacy: SealingKey;
  /** A copy of the key's bytes, for the one place that needs them (wrapping, splitting); wipe it after use. */
  exportBytes(): Buffer;
  /** A MAC key of one purpose (HKDF as for sealing keys), for credentials the service checks without storing. */
  macKey(purpose: MacPurpose): Buffer;
}

/** What each derived MAC key authenticates. */
export type MacPurpose = 'managed-identity';

export function domainKeyFromBytes(key: Uint8Array): DomainKey {
  if (key.length !== DOMAIN_KEY_BYTES) throw new TypeError(`A domain key must be ${DOMAIN_KEY_BYTES} bytes`);
  const bytes = Buffer.from(key);
  return {
    id: domainIdOf(bytes),
    legacy: legacySealingKey(bytes),
    derive: (purpose) =>
      sealingKey(Buffer.from(hkdfSync('sha256', bytes, Buffer.alloc(0), `strongroom/${purpose}/v1`, DOMAIN_KEY_BYTES))),
    exportBytes: () => Buffer.from(bytes),
    macKey: (purpose) => Buffer.from(hkdfSync('sha256', bytes, Buffer.alloc(0), `strongroom/mac/${purpose}/v1`, DOMAIN_KEY_BYTES)),
  };
}

export function domainIdOf(key: Uint8Array): string {
  return createHmac('sha256', key).update('strongroom domain id v1').digest('hex').slice(0, 32);
}

/** The first release's fingerprint of its key-encryption key (kept in the store as `instance.kek-fingerprint`). */
export function legacyKekFingerprint(key: Uint8Array): string {
  return createHmac('sha256', key).update('strongroom kek fingerprint v1').digest('hex').slice(0, 32);
}

/** Unlocks a root of trust with the domain key: its derived key seals, the legacy key opens first-release blobs. */
export function unlockWithDomainKey(
  root: { unlock(current: SealingKey, older: readonly SealingKey[]): void },
  domain: DomainKey,
  purpose: SealingPurpose,
): void {
  root.unlock(domain.derive(purpose), [domain.legacy]);
}
