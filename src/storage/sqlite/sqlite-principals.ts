/** Service principals on SQLite. */
import type { Principal } from '../../domain/principals/principal-model.ts';
import type { PrincipalRepository } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

export class SqlitePrincipals implements PrincipalRepository {
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  async addPrincipal(principal: Principal): Promise<void> {
    this.#connection
      .statement('INSERT INTO principals (id, display_name, secret_hash, created) VALUES (?, ?, ?, ?)')
      .run(principal.id, principal.displayName, principal.secretHash, principal.created);
  }

  async getPrincipal(id: string): Promise<Principal | undefined> {
    const row = this.#connection.statement('SELECT id, display_name, secret_hash, created FROM principals WHERE id = ?').get(id) as
      | { id: string; display_name: string; secret_hash: string; created: number }
      | undefined;
    return row && { id: row.id, displayName: row.display_name, secretHash: row.secret_hash, created: row.created };
  }
}
