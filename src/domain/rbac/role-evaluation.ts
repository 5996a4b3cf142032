/**
 * The decision of local RBAC (reference §5.1): a caller may perform a data action at a scope when one of its
 * role assignments at that scope or above (`/` covers everything, `/keys` every key, `/keys/{name}` that key)
 * is of a role one of whose permissions grants the action through `dataActions` without removing it through
 * the same permission's `notDataActions`. Nothing else grants anything: deny by default.
 *
 * Action patterns may end in `*` (`Microsoft.KeyVault/managedHsm/keys/*`), as in Azure role definitions.
 */
import type { RoleAssignment, RoleDefinition } from './role-model.ts';

/** Whether an assignment at `assignedScope` applies to a request at `requestScope` (both normalised). */
export function scopeCovers(assignedScope: string, requestScope: string): boolean {
  const assigned = normaliseScope(assignedScope);
  const requested = normaliseScope(requestScope);
  if (assigned === '/') return true;
  return requested === assigned || requested.startsWith(`${assigned}/`);
}

/** `//keys/K1/` → `/keys/k1`; `` or `///` → `/`. Key names compare case-insensitively. */
export function normaliseScope(scope: string): string {
  const segments = scope.split('/').filter((segment) => segment !== '');
  return segments.length === 0 ? '/' : `/${segments.join('/').toLowerCase()}`;
}

export function actionMatches(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  return p.endsWith('*') ? a.startsWith(p.slice(0, -1)) : p === a;
}

export function roleGrants(role: RoleDefinition, dataAction: string): boolean {
  return role.permissions.some(
    (permission) =>
      permission.dataActions.some((pattern) => actionMatches(pattern, dataAction)) &&
      !permission.notDataActions.some((pattern) => actionMatches(pattern, dataAction)),
  );
}

export function isAllowed(
  assignments: readonly RoleAssignment[],
  roleOf: (name: string) => RoleDefinition | undefined,
  dataAction: string,
  scope: string,
): boolean {
  return assignments.some((assignment) => {
    if (!scopeCovers(assignment.scope, scope)) return false;
    const role = roleOf(assignment.roleDefinitionName);
    return role !== undefined && roleGrants(role, dataAction);
  });
}
