/**
 * Managed HSM local RBAC as the domain knows it (reference §5.1): role definitions (built-in or custom) and
 * role assignments of a role to a principal at a scope. Plain data; the rules are in role-evaluation.ts and the
 * operations beside them.
 *
 * Scopes are `/` (the whole HSM), `/keys` (every key) and `/keys/{name}` (one key); the wire's `///providers`
 * and `//keys/providers` forms collapse to these.
 */
export type RoleType = 'AKVBuiltInRole' | 'CustomRole';

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface RoleDefinition {
  /** A GUID, lower-case. */
  name: string;
  roleName: string;
  description: string;
  type: RoleType;
  permissions: Permission[];
  assignableScopes: string[];
}

export interface RoleAssignment {
  /** A GUID, lower-case. */
  name: string;
  /** `/`, `/keys` or `/keys/{name}` (the key name lower-cased). */
  scope: string;
  /** The GUID of the role definition. */
  roleDefinitionName: string;
  principalId: string;
}
