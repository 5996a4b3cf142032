/**
 * `strongroom role definition list|create|delete`, in the vocabulary of `az keyvault role definition`, over
 * `/providers/Microsoft.Authorization/roleDefinitions[/{guid}]` (reference §5.1; Managed HSM keeps role
 * definitions at scope `/`). The file of create holds the RoleDefinition `properties` (roleName, description,
 * permissions, assignableScopes), optionally wrapped as `{name?, properties}` (so an item of
 * `role definition list --json` can be edited and fed back), or az's flat form with `actions`, `notActions`,
 * `dataActions`, `notDataActions` beside `roleName`. The GUID is the file's `name`, else a new UUID.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { COMMON_OPTIONS, CommandFailure, printResult, required, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';
import { GUID, guidOf, listAll, PROVIDER, table, text, type Json } from './role-shared.ts';

const LIST_OPTIONS = { ...CONNECTION_OPTIONS, ...COMMON_OPTIONS } as const;

const CREATE_OPTIONS = {
  'role-definition': { type: 'string', value: 'FILE', description: 'JSON file of the role: its properties {roleName, description, permissions, assignableScopes}, or {name?, properties}.' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

const DELETE_OPTIONS = {
  name: { type: 'string', value: 'GUID', description: 'The role definition\'s name (its GUID, as list prints it).' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

const PERMISSION_LISTS = ['actions', 'notActions', 'dataActions', 'notDataActions'] as const;

export const roleDefinitionList: Command<typeof LIST_OPTIONS> = {
  name: 'role definition list',
  summary: 'List the role definitions: the built-in roles and custom roles (--json: {"value": [RoleDefinition]}).',
  examples: ['strongroom role definition list', 'strongroom role definition list --json | jq \'.value[] | select(.properties.type == "CustomRole")\''],
  options: LIST_OPTIONS,
  async run(values, io) {
    const client = connect(values, io.env);
    try {
      const definitions = await listAll(client, `/${PROVIDER}/roleDefinitions`);
      printResult(io, values.json, { value: definitions }, table(
        ['NAME', 'TYPE', 'ROLE NAME'],
        definitions.map((d) => [text(d, 'name'), text(d, 'properties', 'type'), text(d, 'properties', 'roleName')]),
        'No role definitions.',
      ));
    } finally {
      client.close();
    }
  },
};

export const roleDefinitionCreate: Command<typeof CREATE_OPTIONS> = {
  name: 'role definition create',
  summary: 'Create (or, with the name of an existing custom role in the file, update) a custom role from a JSON file.',
  examples: [
    'strongroom role definition create --role-definition signer.json',
    '  # signer.json: {"roleName": "Signer", "description": "Signs with keys",',
    '  #   "permissions": [{"dataActions": ["Microsoft.KeyVault/managedHsm/keys/sign/action"], "notDataActions": []}],',
    '  #   "assignableScopes": ["/"]}',
  ],
  options: CREATE_OPTIONS,
  async run(values, io) {
    const file = required(values['role-definition'], '--role-definition');
    const { name, properties } = roleDefinitionFile(file);
    const client = connect(values, io.env);
    try {
      const definition = (await client.request('PUT', `/${PROVIDER}/roleDefinitions/${name}`, { properties })).body as Json;
      printResult(io, values.json, definition, [`Role definition ${text(definition, 'properties', 'roleName')} saved as ${text(definition, 'name') || name}.`]);
    } finally {
      client.close();
    }
  },
};

export const roleDefinitionDelete: Command<typeof DELETE_OPTIONS> = {
  name: 'role definition delete',
  summary: 'Delete a custom role definition (one still assigned, or a built-in role, is refused by the service).',
  examples: ['strongroom role definition delete --name 0f8fad5b-d9cb-469f-a165-70867728950e'],
  options: DELETE_OPTIONS,
  async run(values, io) {
    const name = guidOf(required(values.name, '--name'), '--name');
    const client = connect(values, io.env);
    try {
      const definition = (await client.request('DELETE', `/${PROVIDER}/roleDefinitions/${name}`)).body as Json;
      printResult(io, values.json, definition, [`Deleted role definition ${text(definition, 'name') || name} (${text(definition, 'properties', 'roleName')}).`]);
    } finally {
      client.close();
    }
  },
};

/** The GUID and the RoleDefinition properties a file gives; the service judges the properties themselves. */
export function roleDefinitionFile(file: string): { name: string; properties: Json } {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CommandFailure(`cannot read --role-definition ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new CommandFailure(`--role-definition ${file} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CommandFailure(`--role-definition ${file} is not a JSON object`);
  const record = parsed as Json;
  const wrapped = typeof record['properties'] === 'object' && record['properties'] !== null && !Array.isArray(record['properties']);
  // Unwrapped, a `name` beside roleName is the GUID (az's form), and `id` / `type` of an exported object are dropped.
  const { name: fileName, id: _id, ...rest } = record;
  const properties = wrapped ? { ...(record['properties'] as Json) } : { ...rest };
  if (!wrapped && typeof properties['type'] === 'string' && properties['type'] === 'Microsoft.Authorization/roleDefinitions') delete properties['type'];
  if (properties['permissions'] === undefined && PERMISSION_LISTS.some((list) => properties[list] !== undefined)) {
    properties['permissions'] = [Object.fromEntries(PERMISSION_LISTS.map((list) => [list, properties[list] ?? []]))];
    for (const list of PERMISSION_LISTS) delete properties[list];
  }
  if (fileName !== undefined && (typeof fileName !== 'string' || !GUID.test(fileName))) {
    throw new CommandFailure(`--role-definition ${file}: "name" must be the role's GUID`);
  }
  return { name: typeof fileName === 'string' ? fileName.toLowerCase() : randomUUID(), properties };
}
