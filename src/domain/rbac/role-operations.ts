/**
 * The local-RBAC administration operations (reference §5.1): role definitions (the built-in ones, plus custom
 * ones stored) and role assignments at `/`, `/keys` and `/keys/{name}`. Each commits through a unit of work
 * and, once committed, tells this node's authorizer to forget what it cached, so the change applies to the next
 * request here (and within RBAC_CACHE_SECONDS on other nodes). New custom definitions and assignments are
 * checked against the object limits (50 definitions; 50 assignments at `/` and at `/keys`, 10 per key) by the
 * storage, in the same unit (domain/limits/object-limits.ts).
 */
import { randomUUID } from 'node:crypto';
import { badParameter } from '../../errors/errors.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import { readOperation, writeOperation } from '../kernel/operation.ts';
import { assertValidKeyName } from '../keys/key-names.ts';
import { assertValidSecretName } from '../secrets/secret-names.ts';
import { maxRoleAssignmentsAt, roleAssignmentLimitError, roleDefinitionLimitError } from '../limits/object-limits.ts';
import { DataActions } from './data-actions.ts';
import { BUILT_IN_ROLES, builtInRole } from './built-in-roles.ts';
import { normaliseScope, scopeCovers } from './role-evaluation.ts';
import type { Permission, RoleAssignment, RoleDefinition } from './role-model.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HSM_SCOPE = '/';
const MAX_ACTIONS = 200;

export interface RoleDefinitionRequest {
  properties?: {
    roleName?: unknown;
    description?: unknown;
    type?: unknown;
    permissions?: unknown;
    assignableScopes?: unknown;
  };
}

export interface RoleAssignmentRequest {
  properties?: { roleDefinitionId?: unknown; principalId?: unknown };
}

export interface AssignmentFilter {
  atScope: boolean;
  principalId?: string | undefined;
}

export const listRoleDefinitions = readOperation<{ scope: string }, RoleDefinition[]>({
  name: 'listRoleDefinitions',
  dataAction: DataActions.readRoleDefinitions,
  beforeActivation: true,
  scope: (input) => roleScopeOf(input.scope),
  audit: () => ({}),
  run: async (_call, store) => [...BUILT_IN_ROLES, ...(await store.roles.listRoleDefinitions())],
});

export const getRoleDefinition = readOperation<{ scope: string; name: string }, RoleDefinition>({
  name: 'getRoleDefinition',
  dataAction: DataActions.readRoleDefinitions,
  beforeActivation: true,
  scope: (input) => roleScopeOf(input.scope),
  audit: (input) => ({ roleDefinition: input.name }),
  async run({ input }, store) {
    const found = builtInRole(input.name.toLowerCase()) ?? (GUID.test(input.name) ? await store.roles.getRoleDefinition(input.name) : undefined);
    if (found === undefined || found.name !== input.name.toLowerCase()) throw roleDefinitionNotFound(input.name);
    return found;
  },
});

export const createOrUpdateRoleDefinition = writeOperation<{ scope: string; name: string; request: RoleDefinitionRequest | undefined }, RoleDefinition>({
  name: 'createOrUpdateRoleDefinition',
  dataAction: DataActions.writeRoleDefinitions,
  beforeActivation: true,
  scope: (input) => roleScopeOf(input.scope),
  audit: (input) => ({ roleDefinition: input.name }),
  async run({ input, env }, unit) {
    const definition = customDefinitionOf(input.scope, input.name, input.request);
    const { maxCustomRoleDefinitions } = env.limits;
    if ((await unit.roles.putRoleDefinition(definition, maxCustomRoleDefinitions)) === 'limit-reached') throw roleDefinitionLimitError(maxCustomRoleDefinitions);
    unit.afterCommit(() => env.authorization.changed());
    return definition;
  },
});

export const deleteRoleDefinition = writeOperation<{ scope: string; name: string }, RoleDefinition>({
  name: 'deleteRoleDefinition',
  dataAction: DataActions.deleteRoleDefinitions,
  beforeActivation: true,
  scope: (input) => roleScopeOf(input.scope),
  audit: (input) => ({ roleDefinition: input.name }),
  async run({ input, env }, unit) {
    if (builtInRole(input.name.toLowerCase())?.name === input.name.toLowerCase()) throw badParameter('A built-in role definition cannot be deleted.');
    if (!GUID.test(input.name)) throw roleDefinitionNotFound(input.name);
    if (await unit.roles.isRoleAssigned(input.name)) {
      throw new StrongroomError('Conflict', `The role definition ${input.name} is assigned; delete its role assignments first.`);
    }
    const deleted = await unit.roles.deleteRoleDefinition(input.name);
    if (deleted === undefined) throw roleDefinitionNotFound(input.name);
    unit.afterCommit(() => env.authorization.changed());
    return deleted;
  },
});

export const listRoleAssignments = readOperation<{ scope: string; filter: AssignmentFilter }, RoleAssignment[]>({
  name: 'listRoleAssignments',
  dataAction: DataActions.readRoleAssignments,
  beforeActivation: true,
  scope: (input) => assignmentScopeOf(input.scope),
  audit: () => ({}),
  async run({ input }, store) {
    const scope = assignmentScopeOf(input.scope);
    const all = await store.roles.listRoleAssignments({ principalId: input.filter.principalId });
    return all.filter((assignment) => (input.filter.atScope ? assignment.scope === scope : scopeCovers(scope, assignment.scope)));
  },
});

export const getRoleAssignment = readOperation<{ scope: string; name: string }, RoleAssignment>({
  name: 'getRoleAssignment',
  dataAction: DataActions.readRoleAssignments,
  beforeActivation: true,
  scope: (input) => assignmentScopeOf(input.scope),
  audit: (input) => ({ roleAssignment: input.name }),
  async run({ input }, store) {
    const found = GUID.test(input.name) ? await store.roles.getRoleAssignment(input.name) : undefined;
    if (found === undefined || found.scope !== assignmentScopeOf(input.scope)) throw roleAssignmentNotFound(input.name);
    return found;
  },
});

export const createRoleAssignment = writeOperation<{ scope: string; name: string; request: RoleAssignmentRequest | undefined }, RoleAssignment>({
  name: 'createRoleAssignment',
  dataAction: DataActions.writeRoleAssignments,
  beforeActivation: true,
  scope: (input) => assignmentScopeOf(input.scope),
  audit: (input, output) => ({ roleAssignment: input.name, principal: output?.principalId, roleDefinition: output?.roleDefinitionName }),
  async run({ input, env }, unit) {
    if (!GUID.test(input.name)) throw badParameter('The role assignment name must be a GUID.');
    const { roleDefinitionId, principalId } = input.request?.properties ?? {};
    if (typeof principalId !== 'string' || principalId.trim() === '' || principalId.length > 256) throw badParameter('properties.principalId is required.');
    if (typeof roleDefinitionId !== 'string' || roleDefinitionId === '') throw badParameter('properties.roleDefinitionId is required.');
    const roleName = roleDefinitionId.split('/').at(-1)?.toLowerCase() ?? '';
    const role = builtInRole(roleName) ?? (GUID.test(roleName) ? await unit.roles.getRoleDefinition(roleName) : undefined);
    if (role === undefined || role.name !== roleName) throw badParameter(`The role definition ${roleDefinitionId} does not exist.`);
    const assignment: RoleAssignment = { name: input.name.toLowerCase(), scope: assignmentScopeOf(input.scope), roleDefinitionName: role.name, principalId };
    if (!role.assignableScopes.some((allowed) => scopeCovers(allowed, assignment.scope))) {
      throw badParameter(`The role definition ${role.name} can be assigned only at ${role.assignableScopes.join(', ')} or below, not at ${assignment.scope}.`);
    }
    const limit = maxRoleAssignmentsAt(env.limits, assignment.scope);
    const outcome = await unit.roles.addRoleAssignment(assignment, limit);
    if (outcome === 'limit-reached') throw roleAssignmentLimitError(limit, assignment.scope);
    if (outcome === 'name-taken') throw new StrongroomError('Conflict', `A role assignment named ${input.name} exists; role assignments cannot be updated, delete it first.`);
    if (outcome === 'duplicate') throw new StrongroomError('RoleAssignmentExists', 'The role assignment already exists.');
    unit.afterCommit(() => env.authorization.changed());
    return assignment;
  },
});

export const deleteRoleAssignment = writeOperation<{ scope: string; name: string }, RoleAssignment>({
  name: 'deleteRoleAssignment',
  dataAction: DataActions.deleteRoleAssignments,
  beforeActivation: true,
  scope: (input) => assignmentScopeOf(input.scope),
  audit: (input) => ({ roleAssignment: input.name }),
  async run({ input, env }, unit) {
    const found = GUID.test(input.name) ? await unit.roles.getRoleAssignment(input.name) : undefined;
    if (found === undefined || found.scope !== assignmentScopeOf(input.scope)) throw roleAssignmentNotFound(input.name);
    await unit.roles.deleteRoleAssignment(found.name);
    unit.afterCommit(() => env.authorization.changed());
    return found;
  },
});

/** A new assignment name for callers that have none (the CLI, the first administrator's roles). */
export const newRoleAssignmentName = (): string => randomUUID();

/** Role definitions live at `/` on Managed HSM. */
function roleScopeOf(scope: string): string {
  const normalised = normaliseScope(scope);
  if (normalised !== HSM_SCOPE) throw badParameter(`Role definitions are managed at scope '/', not '${scope}'.`);
  return normalised;
}

/** `/`, `/keys` or `/keys/{a valid key name}`. */
export function assignmentScopeOf(scope: string): string {
  const normalised = normaliseScope(scope);
  const segments = normalised.split('/').filter((segment) => segment !== '');
  if (segments.length === 0) return HSM_SCOPE;
  if ((segments[0] !== 'keys' && segments[0] !== 'secrets') || segments.length > 2) {
    throw badParameter(`The scope '${scope}' is not one of '/', '/keys', '/keys/{key name}', '/secrets' or '/secrets/{secret name}'.`);
  }
  if (segments.length === 2) (segments[0] === 'keys' ? assertValidKeyName : assertValidSecretName)(segments[1] ?? '');
  return normalised;
}

function customDefinitionOf(scope: string, name: string, request: RoleDefinitionRequest | undefined): RoleDefinition {
  if (!GUID.test(name)) throw badParameter('The role definition name must be a GUID.');
  if (builtInRole(name.toLowerCase()) !== undefined) {
    throw badParameter('Cannot re-use the name/GUID matching that of a built-in role. Use a new GUID for the custom role definition.');
  }
  const properties = request?.properties;
  if (properties === undefined || typeof properties !== 'object') throw badParameter('properties is required.');
  const { roleName, description, permissions, assignableScopes } = properties;
  if (typeof roleName !== 'string' || roleName.trim() === '' || roleName.length > 256) throw badParameter('properties.roleName is required.');
  if (builtInRole(roleName) !== undefined) throw badParameter(`The role name '${roleName}' is that of a built-in role.`);
  if (description !== undefined && description !== null && typeof description !== 'string') throw badParameter('properties.description must be a string.');
  if (properties.type !== undefined && properties.type !== 'CustomRole') throw badParameter("properties.type of a custom role is 'CustomRole'.");
  if (!Array.isArray(permissions) || permissions.length === 0 || permissions.length > 10) throw badParameter('properties.permissions must list 1 to 10 permissions.');
  const scopes = assignableScopes === undefined ? [roleScopeOf(scope)] : assignableScopes;
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((item) => typeof item === 'string' && ['/', '/keys', '/secrets'].includes(normaliseScope(item)))) {
    throw badParameter("properties.assignableScopes may list '/', '/keys' and '/secrets'.");
  }
  return {
    name: name.toLowerCase(),
    roleName,
    description: typeof description === 'string' ? description : '',
    type: 'CustomRole',
    permissions: permissions.map(permissionOf),
    assignableScopes: (scopes as string[]).map(normaliseScope),
  };
}

function permissionOf(value: unknown, index: number): Permission {
  const permission = (value ?? {}) as Record<string, unknown>;
  const list = (member: string): string[] => {
    const items = permission[member] ?? [];
    if (!Array.isArray(items) || items.length > MAX_ACTIONS || !items.every((item) => typeof item === 'string' && item.length > 0 && item.length <= 256)) {
      throw badParameter(`properties.permissions[${index}].${member} must be a list of action names.`);
    }
    return items as string[];
  };
  const result = { actions: list('actions'), notActions: list('notActions'), dataActions: list('dataActions'), notDataActions: list('notDataActions') };
  if (result.actions.length > 0 || result.notActions.length > 0) throw badParameter('Managed HSM roles grant dataActions only; actions and notActions must be empty.');
  return result;
}

function roleDefinitionNotFound(name: string): StrongroomError {
  return new StrongroomError('RoleDefinitionNotFound', `The role definition ${name} was not found.`);
}

function roleAssignmentNotFound(name: string): StrongroomError {
  return new StrongroomError('RoleAssignmentNotFound', `The role assignment ${name} was not found at this scope.`);
}
