/** Custom role definitions and role assignments on SQLite (units of work serialize writers). */
import type { RoleAssignment, RoleDefinition } from '../../domain/rbac/role-model.ts';
import { assignmentFromRow, assignmentValues, type RoleAssignmentRow } from '../role-rows.ts';
import type { RoleRepository } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

export class SqliteRoles implements RoleRepository {
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  async getRoleDefinition(name: string): Promise<RoleDefinition | undefined> {
    const row = this.#connection.statement('SELECT definition FROM role_definitions WHERE name = ?').get(name.toLowerCase()) as { definition: string } | undefined;
    return row && (JSON.parse(row.definition) as RoleDefinition);
  }

  async listRoleDefinitions(): Promise<RoleDefinition[]> {
    const rows = this.#connection.statement('SELECT definition FROM role_definitions ORDER BY name').all() as Array<{ definition: string }>;
    return rows.map((row) => JSON.parse(row.definition) as RoleDefinition);
  }

  async getRoleAssignment(name: string): Promise<RoleAssignment | undefined> {
    const row = this.#connection.statement('SELECT * FROM role_assignments WHERE name = ?').get(name.toLowerCase()) as RoleAssignmentRow | undefined;
    return row && assignmentFromRow(row);
  }

  async listRoleAssignments(filter: { principalId?: string | undefined } = {}): Promise<RoleAssignment[]> {
    const rows = (filter.principalId === undefined
      ? this.#connection.statement('SELECT * FROM role_assignments ORDER BY name').all()
      : this.#connection.statement('SELECT * FROM role_assignments WHERE principal_id = ? ORDER BY name').all(filter.principalId)) as unknown as RoleAssignmentRow[];
    return rows.map(assignmentFromRow);
  }

  async putRoleDefinition(definition: RoleDefinition, maxCustom?: number): Promise<'stored' | 'limit-reached'> {
    // Units serialize writers (BEGIN IMMEDIATE): nothing is added between this count and the insert.
    if (maxCustom !== undefined && (await this.getRoleDefinition(definition.name)) === undefined) {
      const { n } = this.#connection.statement('SELECT count(*) AS n FROM role_definitions').get() as { n: number };
      if (Number(n) >= maxCustom) return 'limit-reached';
    }
    this.#connection
      .statement('INSERT INTO role_definitions (name, definition) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition')
      .run(definition.name.toLowerCase(), JSON.stringify(definition));
    return 'stored';
  }

  async deleteRoleDefinition(name: string): Promise<RoleDefinition | undefined> {
    const existing = await this.getRoleDefinition(name);
    if (existing !== undefined) this.#connection.statement('DELETE FROM role_definitions WHERE name = ?').run(name.toLowerCase());
    return existing;
  }

  async addRoleAssignment(assignment: RoleAssignment, maxAtScope?: number): Promise<'added' | 'name-taken' | 'duplicate' | 'limit-reached'> {
    if ((await this.getRoleAssignment(assignment.name)) !== undefined) return 'name-taken';
    if (maxAtScope !== undefined) {
      const [, scope, role, principal] = assignmentValues(assignment);
      const same = this.#connection.statement('SELECT 1 FROM role_assignments WHERE scope = ? AND role_definition = ? AND principal_id = ?').get(scope, role, principal);
      if (same !== undefined) return 'duplicate';
      const { n } = this.#connection.statement('SELECT count(*) AS n FROM role_assignments WHERE scope = ?').get(scope) as { n: number };
      if (Number(n) >= maxAtScope) return 'limit-reached';
    }
    const inserted = this.#connection
      .statement('INSERT INTO role_assignments (name, scope, role_definition, principal_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(...assignmentValues({ ...assignment, name: assignment.name.toLowerCase() })).changes;
    return Number(inserted) > 0 ? 'added' : 'duplicate';
  }

  async deleteRoleAssignment(name: string): Promise<RoleAssignment | undefined> {
    const existing = await this.getRoleAssignment(name);
    if (existing !== undefined) this.#connection.statement('DELETE FROM role_assignments WHERE name = ?').run(name.toLowerCase());
    return existing;
  }

  async isRoleAssigned(roleDefinitionName: string): Promise<boolean> {
    return this.#connection.statement('SELECT 1 FROM role_assignments WHERE role_definition = ? LIMIT 1').get(roleDefinitionName.toLowerCase()) !== undefined;
  }
}
