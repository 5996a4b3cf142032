/**
 * Custom role definitions and role assignments on PostgreSQL. Two nodes adding the same assignment at once: the
 * unique constraint lets one in, and `ON CONFLICT DO NOTHING` tells the other it was a duplicate. An addition
 * checked against an object limit first takes a transaction-level advisory lock (one for definitions, one for
 * assignments), so its count and its insert form one step against every other checked addition.
 */
import type { RoleAssignment, RoleDefinition } from '../../domain/rbac/role-model.ts';
import { assignmentFromRow, assignmentValues, type RoleAssignmentRow } from '../role-rows.ts';
import type { RoleRepository } from '../store.ts';
import type { Sql } from './sql.ts';

/** Advisory lock keys ("srroldef", "srrolasg" in ASCII), the same on every node. */
const DEFINITIONS_LOCK = '8318837284592182630';
const ASSIGNMENTS_LOCK = '8318837284591989607';

export class PostgresRoles implements RoleRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async getRoleDefinition(name: string): Promise<RoleDefinition | undefined> {
    const [row] = await this.#sql.rows<{ definition: RoleDefinition }>('SELECT definition FROM role_definitions WHERE name = $1', [name.toLowerCase()]);
    return row?.definition;
  }

  async listRoleDefinitions(): Promise<RoleDefinition[]> {
    const rows = await this.#sql.rows<{ definition: RoleDefinition }>('SELECT definition FROM role_definitions ORDER BY name COLLATE "C"');
    return rows.map((row) => row.definition);
  }

  async getRoleAssignment(name: string): Promise<RoleAssignment | undefined> {
    const [row] = await this.#sql.rows<RoleAssignmentRow>('SELECT * FROM role_assignments WHERE name = $1', [name.toLowerCase()]);
    return row && assignmentFromRow(row);
  }

  async listRoleAssignments(filter: { principalId?: string | undefined } = {}): Promise<RoleAssignment[]> {
    const rows = filter.principalId === undefined
      ? await this.#sql.rows<RoleAssignmentRow>('SELECT * FROM role_assignments ORDER BY name COLLATE "C"')
      : await this.#sql.rows<RoleAssignmentRow>('SELECT * FROM role_assignments WHERE principal_id = $1 ORDER BY name COLLATE "C"', [filter.principalId]);
    return rows.map(assignmentFromRow);
  }

  async putRoleDefinition(definition: RoleDefinition, maxCustom?: number): Promise<'stored' | 'limit-reached'> {
    if (maxCustom !== undefined) {
      await this.#sql.rows('SELECT pg_advisory_xact_lock($1)', [DEFINITIONS_LOCK]);
      const [row] = await this.#sql.rows<{ exists: boolean; n: string }>(
        'SELECT EXISTS (SELECT 1 FROM role_definitions WHERE name = $1) AS exists, (SELECT count(*) FROM role_definitions) AS n',
        [definition.name.toLowerCase()],
      );
      if (row?.exists !== true && Number(row?.n ?? 0) >= maxCustom) return 'limit-reached';
    }
    await this.#sql.count(
      'INSERT INTO role_definitions (name, definition) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition',
      [definition.name.toLowerCase(), JSON.stringify(definition)],
    );
    return 'stored';
  }

  async deleteRoleDefinition(name: string): Promise<RoleDefinition | undefined> {
    const [row] = await this.#sql.rows<{ definition: RoleDefinition }>('DELETE FROM role_definitions WHERE name = $1 RETURNING definition', [name.toLowerCase()]);
    return row?.definition;
  }

  async addRoleAssignment(assignment: RoleAssignment, maxAtScope?: number): Promise<'added' | 'name-taken' | 'duplicate' | 'limit-reached'> {
    if (maxAtScope !== undefined) await this.#sql.rows('SELECT pg_advisory_xact_lock($1)', [ASSIGNMENTS_LOCK]);
    if ((await this.getRoleAssignment(assignment.name)) !== undefined) return 'name-taken';
    if (maxAtScope !== undefined) {
      const [, scope, role, principal] = assignmentValues(assignment);
      const [row] = await this.#sql.rows<{ same: boolean; n: string }>(
        `SELECT EXISTS (SELECT 1 FROM role_assignments WHERE scope = $1 AND role_definition = $2 AND principal_id = $3) AS same,
           (SELECT count(*) FROM role_assignments WHERE scope = $1) AS n`,
        [scope, role, principal],
      );
      if (row?.same === true) return 'duplicate';
      if (Number(row?.n ?? 0) >= maxAtScope) return 'limit-reached';
    }
    const inserted = await this.#sql.count(
      'INSERT INTO role_assignments (name, scope, role_definition, principal_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      assignmentValues({ ...assignment, name: assignment.name.toLowerCase() }),
    );
    return inserted > 0 ? 'added' : 'duplicate';
  }

  async deleteRoleAssignment(name: string): Promise<RoleAssignment | undefined> {
    const [row] = await this.#sql.rows<RoleAssignmentRow>('DELETE FROM role_assignments WHERE name = $1 RETURNING *', [name.toLowerCase()]);
    return row && assignmentFromRow(row);
  }

  async isRoleAssigned(roleDefinitionName: string): Promise<boolean> {
    return (await this.#sql.count('SELECT 1 FROM role_assignments WHERE role_definition = $1 LIMIT 1', [roleDefinitionName.toLowerCase()])) > 0;
  }
}
