/** Service principals on SQLite. */
import type { Principal } from '../../domain/principals/principal-model.ts';
import { PRINCIPAL_COLUMNS, principalFromRow, type PrincipalRow } from '../principal-rows.ts';
import type { PrincipalRepository } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

export class SqlitePrincipals implements PrincipalRepository {
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  async addPrincipal(principal: Principal): Promise<void> {
    this.#connection
      .statement('INSERT INTO principals (id, display_name, secret_hash, created, generation, certificate) VALUES (?, ?, ?, ?, ?, ?)')
      .run(principal.id, principal.displayName, principal.secretHash, principal.created, principal.generation, principal.certificatePem ?? null);
  }

  async getPrincipal(id: string): Promise<Principal | undefined> {
    const row = this.#connection.statement(`SELECT ${PRINCIPAL_COLUMNS} FROM principals WHERE id = ?`).get(id) as PrincipalRow | undefined;
    return row && principalFromRow(row);
  }

  async listPrincipals(): Promise<Principal[]> {
    const rows = this.#connection.statement(`SELECT ${PRINCIPAL_COLUMNS} FROM principals ORDER BY id`).all() as unknown as PrincipalRow[];
    return rows.map(principalFromRow);
  }

  async deletePrincipal(id: string): Promise<Principal | undefined> {
    const existing = await this.getPrincipal(id);
    if (existing !== undefined) this.#connection.statement('DELETE FROM principals WHERE id = ?').run(id);
    return existing;
  }

  async replaceSecret(id: string, secretHash: string): Promise<Principal | undefined> {
    this.#connection.statement('UPDATE principals SET secret_hash = ?, generation = generation + 1 WHERE id = ?').run(secretHash, id);
    return this.getPrincipal(id);
  }
}
