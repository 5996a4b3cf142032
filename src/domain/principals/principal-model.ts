/** A service principal: an identity that obtains tokens with a client secret (stored only as a hash). */
import type { IntDate } from '../../lib/intdate.ts';

export interface Principal {
  id: string;
  displayName: string;
  secretHash: string;
  created: IntDate;
}
