/**
 * PLACEHOLDER (coordinator): the instance attestation identity. The key-attestation helper replaces this file.
 * Contract the release code relies on: `signJws(payload)` gives an RS256 compact JWS whose header carries
 * `alg`, `typ: "JWT"`, `kid`, `x5t`, `x5t#S256` and `x5c` (the signing certificate first, the root last).
 */
import type { RootOfTrust } from '../keystore/root-of-trust.ts';
import type { Store } from '../storage/store.ts';

export interface InstanceAttestation {
  /** The instance attestation root certificate (PEM). */
  readonly rootCertificatePem: string;
  /** The signing certificate chain, signing certificate first, root last (PEM each). */
  readonly chainPem: readonly string[];
  /** An RS256 compact JWS over `payload` (JSON), with the x5c chain in its header. */
  signJws(payload: unknown): string;
}

export async function openInstanceAttestation(_store: Store, _nodeIdentity: RootOfTrust): Promise<InstanceAttestation> {
  return {
    rootCertificatePem: '',
    chainPem: [],
    signJws: () => { throw new Error('instance attestation is not built yet'); },
  };
}
