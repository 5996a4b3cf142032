/** `principals` rows as both backends return them, and the domain's record. */
import type { Principal } from '../domain/principals/principal-model.ts';

export interface PrincipalRow {
  id: string;
  display_name: string;
  secret_hash: string;
  created: number;
  generation: number;
  certificate: string | null;
}

export const PRINCIPAL_COLUMNS = 'id, display_name, secret_hash, created, generation, certificate';

export function principalFromRow(row: PrincipalRow): Principal {
  const principal = { id: row.id, displayName: row.display_name, secretHash: row.secret_hash, created: row.created, generation: row.generation };
  return row.certificate === null ? principal : { ...principal, certificatePem: row.certificate };
}
