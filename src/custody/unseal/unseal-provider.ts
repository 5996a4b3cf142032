/**
 * An unseal provider holds what opens the domain key: it wraps the domain key for storage and unwraps it at
 * start. The wrapped form lives in the store (so every node of a cluster reads the same one); the wrapping key
 * never does. Three providers, chosen with `--unseal`:
 *
 *   file    a 32-byte key file in the data directory, mode 0600 (the default: `npm start` needs nothing)
 *   env     the same 32-byte key, base64, from STRONGROOM_UNSEAL_KEY (containers, secret managers)
 *   pkcs11  an AES key that never leaves a PKCS#11 token (an HSM; SoftHSM2 in tests)
 *
 * Whatever goes wrong is an UnsealError whose message is the one line a start prints.
 */
export type UnsealProviderKind = 'file' | 'env' | 'pkcs11';

export const UNSEAL_PROVIDER_KINDS: readonly UnsealProviderKind[] = ['file', 'env', 'pkcs11'];

/** The domain key as the store keeps it: wrapped, with the provider and the wrapping key that opens it. */
export interface WrappedDomainKey {
  provider: UnsealProviderKind;
  /** Names the wrapping key without revealing it (a fingerprint, or the token and key label). */
  wrappingKeyId: string;
  /** base64 */
  wrapped: string;
}

export interface UnsealProvider {
  readonly kind: UnsealProviderKind;
  /** How an operator recognises it in a message: "the unseal key file /var/lib/strongroom/unseal-key". */
  readonly description: string;
  wrap(domainKey: Uint8Array): Promise<WrappedDomainKey>;
  /** The domain key's bytes (the caller wipes them), or UnsealError when this provider cannot open it. */
  unwrap(wrapped: WrappedDomainKey): Promise<Buffer>;
}

export class UnsealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsealError';
  }
}

/** The associated data every provider binds the wrapped domain key to. */
export const DOMAIN_KEY_CONTEXT = 'strongroom domain key v1';
