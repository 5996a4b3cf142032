/** Service principals on PostgreSQL. */
import type { Principal } from '../../domain/principals/principal-model.ts';
import type { PrincipalRepository } from '../store.ts';
import type { Sql } from './sql.ts';

export class PostgresPrincipals implements PrincipalRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async addPrincipal(principal: Principal): Promise<void> {
    await this.#sql.count('INSERT INTO principals (id, display_name, secret_hash, created) VALUES ($1, $2, $3, $4)', [
      principal.id,
      principal.displayName,
      principal.secretHash,
      principal.created,
    ]);
  }

  async getPrincipal(id: string): Promise<Principal | undefined> {
    const [row] = await this.#sql.rows<{ id: string; display_name: string; secret_hash: string; created: number }>(
      'SELECT id, display_name, secret_hash, created FROM principals WHERE id = $1',
      [id],
    );
    return row && { id: row.id, displayName: row.display_name, secretHash: row.secret_hash, created: row.created };
  }
}
