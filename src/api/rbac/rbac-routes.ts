/**
 * Local RBAC over the Managed HSM REST shapes (reference §5.1): `/{scope}/providers/Microsoft.Authorization/
 * roleDefinitions[/{name}]` and `…/roleAssignments[/{name}]`, the scope being `/`, `/keys`, `/keys/{name}`,
 * `/secrets` or `/secrets/{name}` (secrets are Key Vault's; their assignments take the same shapes).
 * The SDK writes the scope unescaped (`///providers/…`, `//keys/providers/…`); the router collapses the slashes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badParameter } from '../../errors/errors.ts';
import type { RoleAssignmentRequest, RoleDefinitionRequest, AssignmentFilter } from '../../domain/rbac/role-operations.ts';
import type { RoleAssignment, RoleDefinition } from '../../domain/rbac/role-model.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';

const PROVIDER = 'providers/Microsoft.Authorization';
/** The route prefix of each scope form, and how it names the scope. */
const SCOPES = [
  { prefix: '', scope: () => '/' },
  { prefix: '/keys', scope: () => '/keys' },
  { prefix: '/keys/:keyName', scope: (params: { keyName?: string }) => `/keys/${params.keyName ?? ''}` },
  { prefix: '/secrets', scope: () => '/secrets' },
  { prefix: '/secrets/:secretName', scope: (params: { secretName?: string }) => `/secrets/${params.secretName ?? ''}` },
] as const;

type ScopeParams = { keyName?: string; secretName?: string; name?: string };
type ScopedRequest = FastifyRequest<{ Params: ScopeParams; Querystring: { $filter?: string } }>;

export function roleDefinitionId(name: string): string {
  return `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${name}`;
}

function toRoleDefinition(definition: RoleDefinition) {
  return {
    id: roleDefinitionId(definition.name),
    name: definition.name,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: definition.roleName,
      description: definition.description,
      type: definition.type,
      permissions: definition.permissions,
      assignableScopes: definition.assignableScopes,
    },
  };
}

function toRoleAssignment(assignment: RoleAssignment) {
  const base = assignment.scope === '/' ? '' : assignment.scope;
  return {
    id: `${base}/${PROVIDER}/roleAssignments/${assignment.name}`,
    name: assignment.name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: { scope: assignment.scope, roleDefinitionId: roleDefinitionId(assignment.roleDefinitionName), principalId: assignment.principalId },
  };
}

/** `atScope()`, `principalId eq '…'`, or both joined by `and`; nothing else. */
export function assignmentFilterOf(filter: string | undefined): AssignmentFilter {
  if (filter === undefined || filter.trim() === '') return { atScope: false };
  let atScope = false;
  let principalId: string | undefined;
  for (const clause of filter.split(/\s+and\s+/i)) {
    const trimmed = clause.trim();
    const principal = /^principalId\s+eq\s+'([^']{1,256})'$/i.exec(trimmed);
    if (/^atScope\(\)$/i.test(trimmed)) atScope = true;
    else if (principal !== null) principalId = principal[1];
    else throw badParameter(`Unsupported $filter '${filter}': use atScope() and/or principalId eq '{id}'.`);
  }
  return { atScope, principalId };
}

/** `roleName eq '…'` narrows a role definition listing; `atScopeAndBelow()` (what tools send) changes nothing. */
function roleNameFilterOf(filter: string | undefined): string | undefined {
  if (filter === undefined || filter.trim() === '' || /^atScopeAndBelow\(\)$/i.test(filter.trim())) return undefined;
  const match = /^roleName\s+eq\s+'([^']{1,256})'$/i.exec(filter.trim());
  if (match === null) throw badParameter(`Unsupported $filter '${filter}': use roleName eq '{name}'.`);
  return match[1];
}

export function registerRbacRoutes(app: FastifyInstance, deps: RouteDeps): void {
  for (const { prefix, scope } of SCOPES) {
    const definitions = `${prefix}/${PROVIDER}/roleDefinitions`;
    const assignments = `${prefix}/${PROVIDER}/roleAssignments`;
    const scopeOf = (request: ScopedRequest) => scope(request.params);

    operationRoute<'listRoleDefinitions', { Params: ScopeParams; Querystring: { $filter?: string } }>(app, deps, {
      method: 'GET', paths: [definitions], operation: 'listRoleDefinitions',
      input: (request) => ({ scope: scopeOf(request) }),
      answer: (list, request) => {
        const roleName = roleNameFilterOf(request.query.$filter)?.toLowerCase();
        return { value: list.filter((d) => roleName === undefined || d.roleName.toLowerCase() === roleName).map(toRoleDefinition), nextLink: null };
      },
    });
    operationRoute<'getRoleDefinition', { Params: ScopeParams }>(app, deps, {
      method: 'GET', paths: [`${definitions}/:name`], operation: 'getRoleDefinition',
      input: (request) => ({ scope: scope(request.params), name: request.params.name ?? '' }),
      answer: toRoleDefinition,
    });
    operationRoute<'createOrUpdateRoleDefinition', { Params: ScopeParams; Body: RoleDefinitionRequest | undefined }>(app, deps, {
      method: 'PUT', paths: [`${definitions}/:name`], operation: 'createOrUpdateRoleDefinition',
      input: (request) => ({ scope: scope(request.params), name: request.params.name ?? '', request: request.body }),
      answer: (definition, _request, reply) => {
        reply.code(201);
        return toRoleDefinition(definition);
      },
    });
    operationRoute<'deleteRoleDefinition', { Params: ScopeParams }>(app, deps, {
      method: 'DELETE', paths: [`${definitions}/:name`], operation: 'deleteRoleDefinition',
      input: (request) => ({ scope: scope(request.params), name: request.params.name ?? '' }),
      answer: toRoleDefinition,
    });

    operationRoute<'listRoleAssignments', { Params: ScopeParams; Querystring: { $filter?: string } }>(app, deps, {
      method: 'GET', paths: [assignments], operation: 'listRoleAssignments',
      input: (request) => ({ scope: scopeOf(request), filter: assignmentFilterOf(request.query.$filter) }),
      answer: (list) => ({ value: list.map(toRoleAssignment), nextLink: null }),
    });
    operationRoute<'getRoleAssignment', { Params: ScopeParams }>(app, deps, {
      method: 'GET', paths: [`${assignments}/:name`], operation: 'getRoleAssignment',
      input: (request) => ({ scope: scope(request.params), name: request.params.name ?? '' }),
      answer: toRoleAssignment,
    });
    operationRoute<'createRoleAssignment', { Params: ScopeParams; Body: RoleAssignmentRequest | undefined }>(app, deps, {
      method: 'PUT', paths: [`${assignments}/:name`], operation: 'createRoleAssignment',
      input: (request) => ({ scope: scope(request.params), name: request.params.name ?? '', request: request.body }),
      answer: (assignment, _request, reply) => {
        reply.code(201);
        return toRoleAssignment(assignment);
      },
    });
    operationRoute<'deleteRoleAssignment', { Params: ScopeParams }>(app, deps, {
      method: 'DELETE', paths: [`${assignments}/:name`], operation: 'deleteRoleAssignment',
      input: (request) => ({ scope: scope(request.params), name: request.params.name ?? '' }),
      answer: toRoleAssignment,
    });
  }
}
