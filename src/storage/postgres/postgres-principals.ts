/** Service principals on PostgreSQL. */
import type { Principal } from '../../domain/principals/principal-model.ts';
import { PRINCIPAL_COLUMNS, principalFromRow, type PrincipalRow } from '../principal-rows.ts';
import type { PrincipalRepository } from '../store.ts';
import type { Sql } from './sql.ts';

export class PostgresPrincipals implements PrincipalRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async addPrincipal(principal: Principal): Promise<void> {
    await this.#sql.count('INSERT INTO principals (id, display_name, secret_hash, created, generation, certificate) VALUES ($1, $2, $3, $4, $5, $6)', [
      principal.id,
      principal.displayName,
      principal.secretHash,
      principal.created,
      principal.generation,
      principal.certificatePem ?? null,
    ]);
  }

  async getPrincipal(id: string): Promise<Principal | undefined> {
    const [row] = await this.#sql.rows<PrincipalRow>(`SELECT ${PRINCIPAL_COLUMNS} FROM principals WHERE id = $1`, [id]);
    return row && principalFromRow(row);
  }

  async listPrincipals(): Promise<Principal[]> {
    return (await this.#sql.rows<PrincipalRow>(`SELECT ${PRINCIPAL_COLUMNS} FROM principals ORDER BY id COLLATE "C"`)).map(principalFromRow);
  }

  async deletePrincipal(id: string): Promise<Principal | undefined> {
    const [row] = await this.#sql.rows<PrincipalRow>(`DELETE FROM principals WHERE id = $1 RETURNING ${PRINCIPAL_COLUMNS}`, [id]);
    return row && principalFromRow(row);
  }

  async replaceSecret(id: string, secretHash: string): Promise<Principal | undefined> {
    const [row] = await this.#sql.rows<PrincipalRow>(
      `UPDATE principals SET secret_hash = $2, generation = generation + 1 WHERE id = $1 RETURNING ${PRINCIPAL_COLUMNS}`,
      [id, secretHash],
    );
    return row && principalFromRow(row);
  }
}
