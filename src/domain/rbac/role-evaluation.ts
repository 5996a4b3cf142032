/**
 * The decision of local RBAC (reference §5.1): a caller may perform a data action at a scope when one of its
 * role assignments at that scope or above (`/` covers everything, `/keys` every key, `/keys/{name}` that key)
 * is of a role one of whose permissions grants the action through `dataActions` without removing it through
 * the same permission's `notDataActions`. Nothing else grants anything: deny by default.
 *
 * In an action pattern each `*` stands for any run of characters, anywhere in it, as in Azure role definitions
 * (`Microsoft.KeyVault/managedHsm/keys/*`, or a star in the middle to match every `…/delete`); names compare
 * without case.
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
  const parts = pattern.toLowerCase().split('*');
  const a = action.toLowerCase();
  const first = parts[0] ?? '';
  if (parts.length === 1) return first === a;
  const last = parts.at(-1) ?? '';
  const end = a.length - last.length;
  if (end < first.length || !a.startsWith(first) || !a.endsWith(last)) return false;
  // The pieces between the stars, each as early as it occurs: if any placement fits, this one does.
  let at = first.length;
  for (const piece of parts.slice(1, -1)) {
    const found = a.indexOf(piece, at);
    if (found === -1 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
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
