/**
 * `strongroom principal create|list|show|delete|reset-secret`: the service principals of an instance
 * (`/principals`). create and reset-secret answer with a client secret the instance shows only that once: it is
 * printed as a credentials file `{tenantId, clientId, clientSecret, authorityHost}` (the format of
 * `admin-credentials.json`, so `--json > app1.json` is a file for `--credentials app1.json`), or with --out
 * written to a file, owner-only (0600) and never over an existing one unless --force. The file is opened before
 * the request, so that a file that cannot be written costs no principal and no secret.
 */
import { readFileSync } from 'node:fs';
import { COMMON_OPTIONS, CommandFailure, printResult, required, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';
import { openPrivateOutputFile, type PrivateOutputFile } from '../private-output-file.ts';
import { listAll, table, text, timeOf, type Json } from './role-shared.ts';

const OUT_OPTIONS = {
  'managed-identity': {
    type: 'boolean',
    description: 'Also print the identityEndpoint and identityHeader an application sets as IDENTITY_ENDPOINT and IDENTITY_HEADER (ManagedIdentityCredential).',
  },
  out: { type: 'string', value: 'FILE', description: 'Write the credentials file here (mode 0600) instead of printing the secret.' },
  force: { type: 'boolean', description: 'Replace an existing --out file.' },
} as const;

const ID_OPTION = {
  id: { type: 'string', value: 'CLIENT_ID', description: 'The principal\'s client id (its id).' },
} as const;

const CREATE_OPTIONS = {
  name: { type: 'string', value: 'NAME', description: 'Display name of the new service principal, e.g. app1.' },
  certificate: {
    type: 'string',
    value: 'CERT.pem',
    description: 'Authenticate with this certificate instead of a secret (ClientCertificateCredential\'s signed client assertion; RSA 2048+ or EC).',
  },
  ...OUT_OPTIONS,
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

const LIST_OPTIONS = { ...CONNECTION_OPTIONS, ...COMMON_OPTIONS } as const;
const ID_OPTIONS = { ...ID_OPTION, ...CONNECTION_OPTIONS, ...COMMON_OPTIONS } as const;
const RESET_OPTIONS = { ...ID_OPTION, ...OUT_OPTIONS, ...CONNECTION_OPTIONS, ...COMMON_OPTIONS } as const;

export const principalCreate: Command<typeof CREATE_OPTIONS> = {
  name: 'principal create',
  summary: 'Create a service principal with a client secret; prints its credentials file {tenantId, clientId, clientSecret, authorityHost}.',
  examples: [
    '(umask 077; strongroom principal create --name app1 --json > app1.json)',
    'strongroom principal create --name app1 --out app1.json',
    'strongroom role assignment create --role "Managed HSM Crypto User" --assignee "$(jq -r .clientId app1.json)" --scope /keys/k1',
  ],
  options: CREATE_OPTIONS,
  async run(values, io) {
    const name = required(values.name, '--name');
    const client = connect(values, io.env);
    const certificate = values.certificate === undefined ? undefined : readCertificate(values.certificate);
    await issueCredentials(values, io, client, 'Created', (c) => c.request('POST', '/principals', {
      displayName: name,
      ...(values['managed-identity'] === true ? { managedIdentity: true } : {}),
      ...(certificate === undefined ? {} : { certificate }),
    }));
  },
};

export const principalList: Command<typeof LIST_OPTIONS> = {
  name: 'principal list',
  summary: 'List the service principals of the instance (--json: {"value": [{id, displayName, created}]}).',
  examples: ['strongroom principal list', 'strongroom principal list --json | jq -r \'.value[].id\''],
  options: LIST_OPTIONS,
  async run(values, io) {
    const client = connect(values, io.env);
    try {
      const principals = await listAll(client, '/principals');
      printResult(io, values.json, { value: principals }, table(
        ['CLIENT ID', 'DISPLAY NAME', 'CREATED'],
        principals.map((p) => [text(p, 'id'), text(p, 'displayName'), timeOf(p['created'])]),
        'No principals.',
      ));
    } finally {
      client.close();
    }
  },
};

export const principalShow: Command<typeof ID_OPTIONS> = {
  name: 'principal show',
  summary: 'Show one service principal: {id, displayName, created}.',
  examples: ['strongroom principal show --id 5b7c…'],
  options: ID_OPTIONS,
  async run(values, io) {
    const id = required(values.id, '--id');
    const client = connect(values, io.env);
    try {
      const principal = (await client.request('GET', principalPath(id))).body as Json;
      printResult(io, values.json, principal, describe(principal));
    } finally {
      client.close();
    }
  },
};

export const principalDelete: Command<typeof ID_OPTIONS> = {
  name: 'principal delete',
  summary: 'Delete a service principal; every token it holds stops working.',
  examples: ['strongroom principal delete --id 5b7c…', 'strongroom role assignment list --assignee 5b7c…   # what it was granted'],
  options: ID_OPTIONS,
  async run(values, io) {
    const id = required(values.id, '--id');
    const client = connect(values, io.env);
    try {
      const principal = (await client.request('DELETE', principalPath(id))).body as Json;
      printResult(io, values.json, principal, [`Deleted principal ${text(principal, 'displayName') || id} (${text(principal, 'id') || id}).`]);
    } finally {
      client.close();
    }
  },
};

export const principalResetSecret: Command<typeof RESET_OPTIONS> = {
  name: 'principal reset-secret',
  summary: 'Give a service principal a new client secret; the old one and every token issued under it stop working. Prints the new credentials.',
  examples: ['strongroom principal reset-secret --id 5b7c… --out app1.json --force', 'strongroom principal reset-secret --id 5b7c… --json > app1.json'],
  options: RESET_OPTIONS,
  async run(values, io) {
    const id = required(values.id, '--id');
    const client = connect(values, io.env);
    await issueCredentials(values, io, client, 'Reset the secret of', (c) =>
      c.request('POST', `${principalPath(id)}/resetsecret`, values['managed-identity'] === true ? { managedIdentity: true } : {}));
  },
};

/**
 * Create and reset-secret: the --out file is opened before the request (a file that cannot be written costs no
 * principal and no secret), then the answer's credentials go into it or onto stdout.
 */
async function issueCredentials(
  values: { out?: string | undefined; force?: boolean | undefined; json?: boolean | undefined },
  io: Parameters<Command['run']>[1],
  client: ReturnType<typeof connect>,
  verb: string,
  send: (client: ReturnType<typeof connect>) => Promise<{ body: unknown }>,
): Promise<void> {
  let target: PrivateOutputFile | undefined;
  try {
    target = values.out === undefined ? undefined : openPrivateOutputFile(values.out, { force: values.force === true, option: '--out' });
    printCredentials(io, values.json, (await send(client)).body, target, verb);
  } finally {
    target?.abandon();
    client.close();
  }
}

function readCertificate(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CommandFailure(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function principalPath(id: string): string {
  return `/principals/${encodeURIComponent(id)}`;
}

function describe(principal: Json): string[] {
  return [`clientId:     ${text(principal, 'id')}`, `displayName:  ${text(principal, 'displayName')}`, `created:      ${timeOf(principal['created'])}`];
}

interface Credentials {
  tenantId: string;
  clientId: string;
  /** Absent for a certificate principal (then `certificateThumbprint` names its certificate). */
  clientSecret?: string;
  certificateThumbprint?: string;
  authorityHost: string;
  /** With --managed-identity: the values of IDENTITY_ENDPOINT and IDENTITY_HEADER. */
  identityEndpoint?: string;
  identityHeader?: string;
}

function credentialsOf(body: unknown): Credentials {
  const credentials = typeof body === 'object' && body !== null ? (body as Json)['credentials'] : undefined;
  const [tenantId, clientId, clientSecret, authorityHost] = ['tenantId', 'clientId', 'clientSecret', 'authorityHost'].map((field) => text(credentials, field));
  const thumbprint = text(body, 'certificateThumbprint');
  if (!tenantId || !clientId || !(clientSecret || thumbprint) || !authorityHost) {
    throw new CommandFailure('the instance answered without complete credentials (tenantId, clientId, clientSecret, authorityHost)');
  }
  const managed = typeof body === 'object' && body !== null ? (body as Json)['managedIdentity'] : undefined;
  const [identityEndpoint, identityHeader] = ['identityEndpoint', 'identityHeader'].map((field) => text(managed, field));
  const base: Credentials = clientSecret ? { tenantId, clientId, clientSecret, authorityHost } : { tenantId, clientId, authorityHost, certificateThumbprint: thumbprint };
  return identityEndpoint && identityHeader ? { ...base, identityEndpoint, identityHeader } : base;
}

/**
 * The credentials of a create or reset answer: into the --out file (stdout then says where, without the
 * secret), or on stdout: the credentials file itself with --json, a short human form otherwise.
 */
function printCredentials(io: Parameters<Command['run']>[1], json: boolean | undefined, body: unknown, target: PrivateOutputFile | undefined, verb: string): void {
  const credentials = credentialsOf(body);
  const principal = body as Json;
  const name = text(principal, 'displayName');
  const who = `${name === '' ? 'principal' : `principal ${name}`} (clientId ${credentials.clientId})`;
  const file = `${JSON.stringify(credentials, null, 2)}\n`;
  if (target !== undefined) {
    target.write(file);
    printResult(io, json, { id: text(principal, 'id') || credentials.clientId, displayName: name, created: principal['created'], credentialsFile: target.file }, [
      `${verb} ${who}; its credentials are in ${target.file} (mode 0600).`,
      `Use them with: strongroom … --credentials ${target.file}`,
    ]);
    return;
  }
  if (json === true) {
    io.stdout.write(file);
    return;
  }
  io.stdout.write([
    `${verb} ${who}.`,
    `  tenantId:      ${credentials.tenantId}`,
    `  clientId:      ${credentials.clientId}`,
    credentials.clientSecret === undefined ? `  certificate:   x5t#S256 ${credentials.certificateThumbprint ?? ''}` : `  clientSecret:  ${credentials.clientSecret}`,
    `  authorityHost: ${credentials.authorityHost}`,
    ...(credentials.identityHeader === undefined
      ? []
      : [`  IDENTITY_ENDPOINT=${credentials.identityEndpoint ?? ''}`, `  IDENTITY_HEADER=${credentials.identityHeader}`]),
    'The secret is shown only this once. For a credentials file: --json > app.json, or --out app.json.',
    '',
  ].join('\n'));
}
