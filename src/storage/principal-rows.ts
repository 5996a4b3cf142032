/** `principals` rows as both backends return them, and the domain's record. */
import type { Principal } from '../domain/principals/principal-model.ts';

export interface PrincipalRow {
  id: string;
  display_name: string;
  secret_hash: string;
  created: number;
  generation: number;
}

export const PRINCIPAL_COLUMNS = 'id, display_name, secret_hash, created, generation';

export function principalFromRow(row: PrincipalRow): Principal {
  return { id: row.id, displayName: row.display_name, secretHash: row.secret_hash, created: row.created, generation: row.generation };
}
