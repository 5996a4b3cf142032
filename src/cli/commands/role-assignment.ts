/**
 * `strongroom role assignment create|list|delete`, in the vocabulary of `az keyvault role assignment`, over the
 * Managed HSM shapes (reference §5.1): `/{scope}/providers/Microsoft.Authorization/roleAssignments[/{guid}]`,
 * the scope being `/`, `/keys` or `/keys/{name}`. A role is named by its role name ("Managed HSM Crypto User",
 * found among the role definitions), its GUID, or its full roleDefinitionId.
 */
import { randomUUID } from 'node:crypto';
import { COMMON_OPTIONS, CommandFailure, printResult, required, UsageError, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';
import type { ServiceClient } from '../service-client.ts';
import { GUID, guidOf, listAll, PROVIDER, scopeOf, table, text, type Json } from './role-shared.ts';

const SCOPE_OPTION = {
  scope: { type: 'string', value: 'SCOPE', description: 'Scope of the assignment: /, /keys or /keys/{key name} (default /).' },
} as const;

const CREATE_OPTIONS = {
  role: { type: 'string', value: 'ROLE', description: 'Role name (e.g. "Managed HSM Crypto User"), role definition GUID, or roleDefinitionId.' },
  assignee: { type: 'string', value: 'CLIENT_ID', description: 'The principal that gets the role: a client id (principal id).' },
  ...SCOPE_OPTION,
  name: { type: 'string', value: 'GUID', description: 'Name of the new assignment (default: a new UUID).' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

const LIST_OPTIONS = {
  scope: { type: 'string', value: 'SCOPE', description: 'List the assignments at this scope and below (default /, i.e. all).' },
  assignee: { type: 'string', value: 'CLIENT_ID', description: 'Only the assignments of this principal ($filter=principalId eq \'…\').' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

const DELETE_OPTIONS = {
  name: { type: 'string', value: 'GUID', description: 'Name of the assignment (what create and list print).' },
  scope: { type: 'string', value: 'SCOPE', description: 'Its scope (default: found by listing the assignments from /).' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

const ROLE_DEFINITION_ID = 'Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/';

export const roleAssignmentCreate: Command<typeof CREATE_OPTIONS> = {
  name: 'role assignment create',
  summary: 'Grant a role to a principal at a scope (/, /keys or /keys/{name}).',
  examples: [
    'strongroom role assignment create --role "Managed HSM Crypto User" --assignee 5b7c… --scope /keys/payments-signing',
    'strongroom role assignment create --role 515eb02d-2335-4d2d-92f2-b1cbdf9c3778 --assignee 5b7c… --json',
  ],
  options: CREATE_OPTIONS,
  async run(values, io) {
    const role = required(values.role, '--role');
    const principalId = required(values.assignee, '--assignee');
    const { scope, prefix } = scopeOf(values.scope);
    const name = values.name === undefined ? randomUUID() : guidOf(values.name, '--name');
    const client = connect(values, io.env);
    try {
      const definition = await resolveRole(client, role);
      const response = await client.request('PUT', `${prefix}/${PROVIDER}/roleAssignments/${name}`, {
        properties: { roleDefinitionId: text(definition, 'id'), principalId },
      });
      const assignment = response.body as Json;
      printResult(io, values.json, assignment, [
        `Assigned ${text(definition, 'properties', 'roleName') || text(definition, 'name')} to ${principalId} at ${text(assignment, 'properties', 'scope') || scope} (assignment ${text(assignment, 'name') || name}).`,
      ]);
    } finally {
      client.close();
    }
  },
};

export const roleAssignmentList: Command<typeof LIST_OPTIONS> = {
  name: 'role assignment list',
  summary: 'List role assignments at a scope and below, all of them or one principal\'s (--json: {"value": [RoleAssignment]}).',
  examples: [
    'strongroom role assignment list',
    'strongroom role assignment list --assignee 5b7c…',
    'strongroom role assignment list --scope /keys/payments-signing --json',
  ],
  options: LIST_OPTIONS,
  async run(values, io) {
    const { prefix } = scopeOf(values.scope);
    const assignee = values.assignee;
    if (assignee !== undefined && (assignee === '' || assignee.includes("'"))) throw new UsageError('--assignee must be a principal id (no quotes)');
    const filter = assignee === undefined ? '' : `?$filter=${encodeURIComponent(`principalId eq '${assignee}'`)}`;
    const client = connect(values, io.env);
    try {
      const assignments = await listAll(client, `${prefix}/${PROVIDER}/roleAssignments${filter}`);
      if (values.json === true) {
        printResult(io, true, { value: assignments }, []);
        return;
      }
      const roleNames = await roleNamesOf(client);
      printResult(io, false, {}, table(
        ['NAME', 'ROLE', 'PRINCIPAL', 'SCOPE'],
        assignments.map((a) => {
          const definition = text(a, 'properties', 'roleDefinitionId');
          const guid = (definition.split('/').at(-1) ?? '').toLowerCase();
          return [text(a, 'name'), roleNames.get(guid) ?? definition, text(a, 'properties', 'principalId'), text(a, 'properties', 'scope')];
        }),
        'No role assignments.',
      ));
    } finally {
      client.close();
    }
  },
};

export const roleAssignmentDelete: Command<typeof DELETE_OPTIONS> = {
  name: 'role assignment delete',
  summary: 'Remove a role assignment by its name; without --scope its scope is looked up first.',
  examples: ['strongroom role assignment delete --name 0f8fad5b-d9cb-469f-a165-70867728950e', 'strongroom role assignment delete --name 0f8fad5b-… --scope /keys/payments-signing'],
  options: DELETE_OPTIONS,
  async run(values, io) {
    const name = guidOf(required(values.name, '--name'), '--name');
    const given = values.scope === undefined ? undefined : scopeOf(values.scope);
    const client = connect(values, io.env);
    try {
      // Without --scope: the assignment's own scope, from a listing of everything; if it is not there, the
      // service's own answer (RoleAssignmentNotFound) at / says so.
      let prefix = given?.prefix;
      if (prefix === undefined) {
        const found = (await listAll(client, `/${PROVIDER}/roleAssignments`)).find((a) => text(a, 'name').toLowerCase() === name);
        prefix = scopeOf(text(found, 'properties', 'scope') || '/').prefix;
      }
      const assignment = (await client.request('DELETE', `${prefix}/${PROVIDER}/roleAssignments/${name}`)).body as Json;
      printResult(io, values.json, assignment, [
        `Deleted role assignment ${text(assignment, 'name') || name} (principal ${text(assignment, 'properties', 'principalId')} at ${text(assignment, 'properties', 'scope')}).`,
      ]);
    } finally {
      client.close();
    }
  },
};

/** The RoleDefinition that --role names: by GUID (or a roleDefinitionId ending in one), else by role name. */
async function resolveRole(client: ServiceClient, role: string): Promise<Json> {
  const last = role.split('/').at(-1) ?? '';
  if (GUID.test(last)) {
    return withId((await client.request('GET', `/${PROVIDER}/roleDefinitions/${last.toLowerCase()}`)).body as Json, last.toLowerCase());
  }
  if (role.includes('/')) throw new UsageError(`--role ${role}: a roleDefinitionId ends in the role's GUID`);
  const definitions = await listAll(client, `/${PROVIDER}/roleDefinitions`);
  const matches = definitions.filter((d) => text(d, 'properties', 'roleName').toLowerCase() === role.toLowerCase());
  const [match] = matches;
  if (match === undefined) throw new CommandFailure(`no role definition is named '${role}'; see strongroom role definition list`);
  if (matches.length > 1) throw new CommandFailure(`${matches.length} role definitions are named '${role}'; give its GUID instead`);
  return withId(match, text(match, 'name'));
}

/** The id the service gave; a definition without one is named as Managed HSM names its roles. */
function withId(definition: Json, guid: string): Json {
  return text(definition, 'id') === '' ? { ...definition, id: `${ROLE_DEFINITION_ID}${guid}` } : definition;
}

/** Role names by GUID, for the table; a caller that may not read role definitions sees the ids instead. */
async function roleNamesOf(client: ServiceClient): Promise<Map<string, string>> {
  try {
    const definitions = await listAll(client, `/${PROVIDER}/roleDefinitions`);
    return new Map(definitions.map((d) => [text(d, 'name').toLowerCase(), text(d, 'properties', 'roleName')]));
  } catch {
    return new Map();
  }
}
