/** `role_assignments` rows as both backends return them, and the domain's records. */
import type { RoleAssignment } from '../domain/rbac/role-model.ts';

export interface RoleAssignmentRow {
  name: string;
  scope: string;
  role_definition: string;
  principal_id: string;
}

export function assignmentFromRow(row: RoleAssignmentRow): RoleAssignment {
  return { name: row.name, scope: row.scope, roleDefinitionName: row.role_definition, principalId: row.principal_id };
}

export function assignmentValues(assignment: RoleAssignment): [string, string, string, string] {
  return [assignment.name, assignment.scope, assignment.roleDefinitionName, assignment.principalId];
}
