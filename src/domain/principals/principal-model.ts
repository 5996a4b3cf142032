/**
 * A service principal: an identity that obtains tokens with a client secret (stored only as a hash) or with a
 * certificate (a signed client assertion; the certificate is public and stored as it is). Its
 * credential generation is bumped by every secret reset; tokens carry the generation they were issued under,
 * so a reset revokes every token issued before it.
 */
import type { IntDate } from '../../lib/intdate.ts';

export interface Principal {
  id: string;
  displayName: string;
  secretHash: string;
  created: IntDate;
  /** 1 for a new principal; +1 at every secret reset. */
  generation: number;
  /** A certificate principal's X.509 certificate (PEM); its `secretHash` is empty. */
  certificatePem?: string | undefined;
}
