/** PLACEHOLDER (coordinator): the trusted attestation authorities; the key-release helper replaces this file. */
import type { IntDate } from '../../lib/intdate.ts';

export interface VerifiedAttestation {
  issuer: string;
  claims: Record<string, unknown>;
}

export class AttestationAuthorities {
  readonly authorities: readonly string[];
  constructor(options: { authorities: readonly string[] }) {
    this.authorities = options.authorities;
  }
  async verifyToken(_token: string, _now: IntDate): Promise<VerifiedAttestation> {
    throw new Error('attestation authorities are not built yet');
  }
}
