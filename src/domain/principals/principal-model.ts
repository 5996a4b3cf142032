/**
 * A service principal: an identity that obtains tokens with a client secret (stored only as a hash). Its
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
}
