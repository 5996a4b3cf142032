/**
 * Issue 10, `strongroom principal …` and `strongroom role assignment|definition …` against a real server, the CLI
 * run as a child process like a user runs it (src/main.ts, the server's data directory for the defaults):
 *
 *   - principal create --json is a credentials file: its token works, but before any assignment a key request is
 *     403; role assignment create --role "Managed HSM Crypto User" --scope /keys/k1 lets it sign with k1 and not
 *     k2; role assignment list --assignee shows it; role assignment delete (no --scope) takes it away again;
 *   - principal reset-secret --out: the old secret gets no token and its old token answers 401; the new file works
 *     as --credentials; principal delete: its tokens answer 401 within a few seconds;
 *   - role definition create/list/delete round trip from a file ({name, properties}, and az's flat form), a role
 *     assigned by its custom name;
 *   - bad usage exits 2; a service refusal exits 1 with the service's code (also as JSON with --json).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accessToken, apiClient, request } from '../../harness/https-requests.ts';
import { runStrongroom } from '../../harness/cli-process.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';

interface Credentials { tenantId: string; clientId: string; clientSecret: string; authorityHost: string }
interface Run { code: number | null; stdout: string; stderr: string }

const CRYPTO_USER = '21dbd100-6940-42c2-9190-5d6cb909625b';
const DIGEST = Buffer.alloc(32, 7).toString('base64url');

let server: StartedServer;
let dir: string;
let admin: ReturnType<typeof apiClient>;

before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'strongroom-cli-roles-'));
  admin = apiClient(server, await accessToken(server));
  for (const name of ['k1', 'k2']) assert.equal((await admin.post(`/keys/${name}/create`, { kty: 'EC', crv: 'P-256' })).status, 200);
});
after(async () => {
  if (server !== undefined) await disposeServer(server);
  rmSync(dir, { recursive: true, force: true });
});

const strongroom = (args: string[]): Promise<Run> => runStrongroom(args, { dataDir: server.dataDir });

/** A command that must succeed; its stdout as JSON. */
async function json<T = any>(args: string[]): Promise<T> {
  const result = await strongroom([...args, '--json']);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** A command the service must refuse: exit 1, the code on stderr and in the --json error. */
async function refused(args: string[], code: string): Promise<void> {
  const result = await strongroom([...args, '--json']);
  assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
  assert.match(result.stderr, new RegExp(`: ${code}: `));
  assert.equal((JSON.parse(result.stdout) as { error: { code: string } }).error.code, code);
}

function tokenRequest(credentials: Credentials) {
  return request(server, {
    method: 'POST',
    path: `/${credentials.tenantId}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret, scope: 'https://localhost/.default' }).toString(),
  });
}

async function tokenOf(credentials: Credentials): Promise<string> {
  const response = await tokenRequest(credentials);
  assert.equal(response.status, 200, response.text);
  return response.json.access_token as string;
}

const sign = (token: string, key: string) => apiClient(server, token).post(`/keys/${key}/sign`, { alg: 'ES256', value: DIGEST });

describe('strongroom principal and role assignment', () => {
  let app: Credentials;
  let appFile: string;
  let assignment: string;

  it('principal create --json prints a credentials file; list and show find the principal, without its secret', async () => {
    app = await json<Credentials>(['principal', 'create', '--name', 'app1']);
    assert.deepEqual(Object.keys(app).sort(), ['authorityHost', 'clientId', 'clientSecret', 'tenantId']);
    assert.equal(app.authorityHost, server.url());
    appFile = join(dir, 'app1.json');
    writeFileSync(appFile, JSON.stringify(app), { mode: 0o600 });

    const list = await json<{ value: { id: string; displayName: string }[] }>(['principal', 'list']);
    assert.ok(list.value.some((p) => p.id === app.clientId && p.displayName === 'app1'));
    const human = await strongroom(['principal', 'list']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^CLIENT ID\s+DISPLAY NAME\s+CREATED$/m);
    assert.match(human.stdout, new RegExp(`^${app.clientId}\\s+app1\\s+\\d{4}-`, 'm'));
    assert.ok(!human.stdout.includes(app.clientSecret));
    const shown = await json<{ id: string; displayName: string; created: number }>(['principal', 'show', '--id', app.clientId]);
    assert.equal(shown.displayName, 'app1');
    assert.equal(typeof shown.created, 'number');

    const plain = await strongroom(['principal', 'create', '--name', 'app-human']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /Created principal app-human \(clientId [^)]+\)\.\n\s+tenantId:\s+\S+\n\s+clientId:\s+\S+\n\s+clientSecret:\s+\S+\n\s+authorityHost:\s+https:\/\/localhost:\d+\n/);
  });

  it('the new principal gets a token, and before any assignment a key request is 403', async () => {
    const token = await tokenOf(app);
    const answer = await sign(token, 'k1');
    assert.equal(answer.status, 403, answer.text);
    assert.equal((await apiClient(server, token).get('/keys/k1')).status, 403);
  });

  it('role assignment create --role "Managed HSM Crypto User" --scope /keys/k1: it signs with k1, not with k2', async () => {
    const created = await json<{ name: string; properties: { scope: string; roleDefinitionId: string; principalId: string } }>([
      'role', 'assignment', 'create', '--role', 'Managed HSM Crypto User', '--assignee', app.clientId, '--scope', '/keys/k1',
    ]);
    assignment = created.name;
    assert.match(assignment, /^[0-9a-f-]{36}$/);
    assert.deepEqual(created.properties, { scope: '/keys/k1', roleDefinitionId: `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER}`, principalId: app.clientId });
    const token = await tokenOf(app);
    assert.equal((await sign(token, 'k1')).status, 200);
    assert.equal((await sign(token, 'k2')).status, 403);
  });

  it('role assignment list --assignee shows it (JSON and table); --scope narrows', async () => {
    const listed = await json<{ value: { name: string }[] }>(['role', 'assignment', 'list', '--assignee', app.clientId]);
    assert.deepEqual(listed.value.map((a) => a.name), [assignment]);
    const human = await strongroom(['role', 'assignment', 'list', '--assignee', app.clientId]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^NAME\s+ROLE\s+PRINCIPAL\s+SCOPE$/m);
    assert.match(human.stdout, new RegExp(`^${assignment}\\s+Managed HSM Crypto User\\s+${app.clientId}\\s+/keys/k1$`, 'm'));
    const all = await json<{ value: { properties: { principalId: string } }[] }>(['role', 'assignment', 'list']);
    assert.ok(all.value.some((a) => a.properties.principalId === server.credentials.clientId), 'without --assignee: everyone\'s, from /');
    assert.deepEqual((await json<{ value: unknown[] }>(['role', 'assignment', 'list', '--scope', '/keys/k2', '--assignee', app.clientId])).value, []);
  });

  it('the same role, principal and scope again is the service\'s 409 RoleAssignmentExists (exit 1)', async () => {
    await refused(['role', 'assignment', 'create', '--role', CRYPTO_USER, '--assignee', app.clientId, '--scope', '/keys/k1'], 'RoleAssignmentExists');
  });

  it('role assignment delete --name (scope looked up) takes the role away', async () => {
    const deleted = await strongroom(['role', 'assignment', 'delete', '--name', assignment]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, new RegExp(`Deleted role assignment ${assignment} \\(principal ${app.clientId} at /keys/k1\\)`));
    assert.equal((await sign(await tokenOf(app), 'k1')).status, 403);
    assert.deepEqual((await json<{ value: unknown[] }>(['role', 'assignment', 'list', '--assignee', app.clientId])).value, []);
    await refused(['role', 'assignment', 'delete', '--name', assignment], 'RoleAssignmentNotFound');
  });

  it('the principal\'s credentials file works as --credentials (its own token, its own permissions)', async () => {
    // Crypto User at / grants roleAssignments/read: app1 lists as itself; before that it is refused.
    await refused(['role', 'assignment', 'list', '--credentials', appFile], 'Forbidden');
    const created = await json<{ name: string }>(['role', 'assignment', 'create', '--role', 'managed hsm crypto user', '--assignee', app.clientId]);
    const own = await json<{ value: { name: string }[] }>(['role', 'assignment', 'list', '--assignee', app.clientId, '--credentials', appFile]);
    assert.deepEqual(own.value.map((a) => a.name), [created.name]);
    assert.equal((await strongroom(['role', 'assignment', 'delete', '--name', created.name, '--scope', '/'])).code, 0);
  });

  it('principal reset-secret --out: the old secret gets no token, its old token answers 401, the new file works', async () => {
    const oldToken = await tokenOf(app);
    const out = join(dir, 'app1-new.json');
    const reset = await json<{ id: string; credentialsFile: string }>(['principal', 'reset-secret', '--id', app.clientId, '--out', out]);
    assert.deepEqual([reset.id, reset.credentialsFile], [app.clientId, out]);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const fresh = JSON.parse(readFileSync(out, 'utf8')) as Credentials;
    assert.equal(fresh.clientId, app.clientId);
    assert.notEqual(fresh.clientSecret, app.clientSecret);
    assert.ok(!(JSON.stringify(reset)).includes(fresh.clientSecret), 'with --out the secret is not printed');

    const old = await tokenRequest(app);
    assert.ok(old.status === 400 || old.status === 401, `old secret: ${old.status}`);
    assert.equal(old.json.error, 'invalid_client');
    assert.equal((await apiClient(server, oldToken).get('/keys/k1')).status, 401);
    assert.equal((await sign(await tokenOf(fresh), 'k1')).status, 403, 'a token again: authenticated, not authorized');

    // The file exists now: refused without --force (and no new secret was made), replaced with it.
    const again = await strongroom(['principal', 'reset-secret', '--id', app.clientId, '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; give --force/);
    assert.equal((await tokenRequest(fresh)).status, 200, 'the refused reset changed nothing');
    assert.equal((await strongroom(['principal', 'reset-secret', '--id', app.clientId, '--out', out, '--force'])).code, 0);
    assert.notEqual((JSON.parse(readFileSync(out, 'utf8')) as Credentials).clientSecret, fresh.clientSecret);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    app = JSON.parse(readFileSync(out, 'utf8')) as Credentials;
  });

  it('principal create --out writes 0600 and never over an existing file, and then makes no principal', async () => {
    const out = join(dir, 'app2.json');
    const created = await json<{ id: string; displayName: string; credentialsFile: string }>(['principal', 'create', '--name', 'app2', '--out', out]);
    assert.equal(created.displayName, 'app2');
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.equal((JSON.parse(readFileSync(out, 'utf8')) as Credentials).clientId, created.id);
    const count = async () => (await json<{ value: unknown[] }>(['principal', 'list'])).value.length;
    const before = await count();
    const again = await strongroom(['principal', 'create', '--name', 'app3', '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /app2\.json exists; give --force/);
    assert.equal(await count(), before);
  });

  it('principal delete: its tokens answer 401 within a few seconds; show is then PrincipalNotFound', async () => {
    const token = await tokenOf(app);
    assert.equal((await apiClient(server, token).get('/keys/k1')).status, 403);
    const deleted = await strongroom(['principal', 'delete', '--id', app.clientId]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, new RegExp(`Deleted principal app1 \\(${app.clientId}\\)`));
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline && (status = (await apiClient(server, token).get('/keys/k1')).status) !== 401) await new Promise((r) => setTimeout(r, 200));
    assert.equal(status, 401);
    assert.notEqual((await tokenRequest(app)).status, 200);
    await refused(['principal', 'show', '--id', app.clientId], 'PrincipalNotFound');
    await refused(['principal', 'delete', '--id', app.clientId], 'PrincipalNotFound');
  });
});

describe('strongroom role definition', () => {
  const signer = randomUUID();

  it('create from a {name, properties} file, list shows it, a role assigned by that name, delete', async () => {
    const file = join(dir, 'signer.json');
    writeFileSync(file, JSON.stringify({
      name: signer,
      properties: {
        roleName: 'CLI Signer',
        description: 'Signs with keys',
        permissions: [{ dataActions: ['Microsoft.KeyVault/managedHsm/keys/sign/action'], notDataActions: [] }],
        assignableScopes: ['/'],
      },
    }));
    const created = await json<{ name: string; properties: { roleName: string; type: string; permissions: unknown } }>(['role', 'definition', 'create', '--role-definition', file]);
    assert.equal(created.name, signer);
    assert.equal(created.properties.roleName, 'CLI Signer');
    assert.equal(created.properties.type, 'CustomRole');

    const listed = await json<{ value: { name: string }[] }>(['role', 'definition', 'list']);
    assert.ok(listed.value.some((d) => d.name === signer));
    assert.ok(listed.value.some((d) => d.name === CRYPTO_USER), 'the built-ins too');
    const human = await strongroom(['role', 'definition', 'list']);
    assert.match(human.stdout, /^NAME\s+TYPE\s+ROLE NAME$/m);
    assert.match(human.stdout, new RegExp(`^${signer}\\s+CustomRole\\s+CLI Signer$`, 'm'));
    assert.match(human.stdout, new RegExp(`^${CRYPTO_USER}\\s+AKVBuiltInRole\\s+Managed HSM Crypto User$`, 'm'));

    const someone = randomUUID();
    const assigned = await json<{ name: string; properties: { roleDefinitionId: string } }>(['role', 'assignment', 'create', '--role', 'CLI Signer', '--assignee', someone, '--scope', 'keys']);
    assert.ok(assigned.properties.roleDefinitionId.endsWith(`/${signer}`));
    const deleteAssignment = await strongroom(['role', 'assignment', 'delete', '--name', assigned.name, '--scope', '/keys']);
    assert.equal(deleteAssignment.code, 0, deleteAssignment.stderr);

    const deleted = await strongroom(['role', 'definition', 'delete', '--name', signer]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, new RegExp(`Deleted role definition ${signer} \\(CLI Signer\\)`));
    assert.ok(!(await json<{ value: { name: string }[] }>(['role', 'definition', 'list'])).value.some((d) => d.name === signer));
    await refused(['role', 'definition', 'delete', '--name', signer], 'RoleDefinitionNotFound');
  });

  it('az\'s flat form (dataActions beside roleName, no name): a new GUID; update by name', async () => {
    const file = join(dir, 'flat.json');
    writeFileSync(file, JSON.stringify({ roleName: 'CLI Wrapper', description: '', actions: [], notActions: [], dataActions: ['Microsoft.KeyVault/managedHsm/keys/wrap/action'], notDataActions: [], assignableScopes: ['/'] }));
    const created = await json<{ name: string; properties: { permissions: { dataActions: string[] }[] } }>(['role', 'definition', 'create', '--role-definition', file]);
    assert.match(created.name, /^[0-9a-f-]{36}$/);
    assert.deepEqual(created.properties.permissions[0]?.dataActions, ['Microsoft.KeyVault/managedHsm/keys/wrap/action']);
    // An exported definition, edited, goes back in as an update of the same GUID.
    const updated = join(dir, 'flat-updated.json');
    writeFileSync(updated, JSON.stringify({ ...created, properties: { ...created.properties, description: 'Wraps' } }));
    const saved = await json<{ name: string; properties: { description: string } }>(['role', 'definition', 'create', '--role-definition', updated]);
    assert.deepEqual([saved.name, saved.properties.description], [created.name, 'Wraps']);
    assert.equal((await strongroom(['role', 'definition', 'delete', '--name', created.name])).code, 0);
  });

  it('the service\'s refusals are exit 1 with their code: a built-in GUID reused, an unknown role definition', async () => {
    const file = join(dir, 'builtin.json');
    writeFileSync(file, JSON.stringify({ name: CRYPTO_USER, properties: { roleName: 'Mine', permissions: [{ dataActions: ['Microsoft.KeyVault/managedHsm/keys/read/action'] }], assignableScopes: ['/'] } }));
    await refused(['role', 'definition', 'create', '--role-definition', file], 'BadParameter');
    await refused(['role', 'assignment', 'create', '--role', randomUUID(), '--assignee', randomUUID()], 'RoleDefinitionNotFound');
    const unknown = await strongroom(['role', 'assignment', 'create', '--role', 'No Such Role', '--assignee', randomUUID(), '--json']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no role definition is named 'No Such Role'/);
    assert.equal((JSON.parse(unknown.stdout) as { error: { code: string } }).error.code, 'Failure');
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, 'roleName: x');
    const bad = await strongroom(['role', 'definition', 'create', '--role-definition', notJson]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is not JSON/);
  });
});

describe('strongroom principal / role: usage', () => {
  const cases: [string, string[], RegExp][] = [
    ['principal create without --name', ['principal', 'create'], /--name is required/],
    ['principal show without --id', ['principal', 'show'], /--id is required/],
    ['principal reset-secret with a stray argument', ['principal', 'reset-secret', 'abc'], /Unexpected argument/],
    ['role assignment create without --role', ['role', 'assignment', 'create', '--assignee', 'x'], /--role is required/],
    ['role assignment create without --assignee', ['role', 'assignment', 'create', '--role', CRYPTO_USER], /--assignee is required/],
    ['a scope that is none', ['role', 'assignment', 'create', '--role', CRYPTO_USER, '--assignee', 'x', '--scope', '/secrets/s1'], /--scope must be \/, \/keys or \/keys\/\{key name\}/],
    ['role assignment delete of a name that is no GUID', ['role', 'assignment', 'delete', '--name', 'abc'], /--name must be a GUID/],
    ['role definition delete without --name', ['role', 'definition', 'delete'], /--name is required/],
    ['role definition create without a file', ['role', 'definition', 'create'], /--role-definition is required/],
    ['an unknown option', ['role', 'definition', 'list', '--custom'], /Unknown option '--custom'/],
    ['an unknown subcommand', ['role', 'assignment', 'grant'], /unknown command 'role assignment grant'/],
    ['the group alone', ['role'], /role assignment create/],
  ];
  for (const [name, args, message] of cases) {
    it(`exit 2: ${name}`, async () => {
      const result = await strongroom(args);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    });
  }

  it('--help of every command names its flags; exit 0', async () => {
    const flags: Record<string, string[]> = {
      'principal create': ['--name', '--out', '--force'],
      'principal list': [],
      'principal show': ['--id'],
      'principal delete': ['--id'],
      'principal reset-secret': ['--id', '--out', '--force'],
      'role assignment create': ['--role', '--assignee', '--scope'],
      'role assignment list': ['--scope', '--assignee'],
      'role assignment delete': ['--name', '--scope'],
      'role definition list': [],
      'role definition create': ['--role-definition'],
      'role definition delete': ['--name'],
    };
    const help = await strongroom(['--help']);
    for (const [command, own] of Object.entries(flags)) {
      assert.ok(help.stdout.includes(command), command);
      const result = await strongroom([...command.split(' '), '--help']);
      assert.equal(result.code, 0, command);
      for (const flag of [...own, '--url', '--ca', '--credentials', '--data-dir', '--json']) assert.ok(result.stdout.includes(flag), `${command} ${flag}`);
    }
  });
});

describe('strongroom principal create --managed-identity', () => {
  it('prints IDENTITY_ENDPOINT and IDENTITY_HEADER, which get a token from /msi/token', async () => {
    const created = await json<{ clientId: string; identityEndpoint: string; identityHeader: string }>(['principal', 'create', '--name', 'web-app', '--managed-identity']);
    assert.equal(created.identityEndpoint, `${server.url()}/msi/token`);
    const token = await request(server, { method: 'GET', path: '/msi/token?resource=https://localhost&api-version=2019-08-01', headers: { 'x-identity-header': created.identityHeader } });
    assert.equal(token.status, 200);
    assert.equal(token.json.client_id, created.clientId);
    const human = await strongroom(['principal', 'create', '--name', 'web-app-2', '--managed-identity']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /IDENTITY_ENDPOINT=https:\/\/.*\/msi\/token/);
    assert.match(human.stdout, /IDENTITY_HEADER=\S+/);
  });
});

describe('strongroom principal create --certificate', () => {
  it('registers the certificate: the printed credentials carry no secret but its thumbprint', async () => {
    const cert = join(dir, 'app.cer');
    execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'app.key'), '-x509', '-days', '1', '-out', cert, '-subj', '/CN=app'], { stdio: 'ignore' });
    const created = await json<{ clientId: string; clientSecret?: string; certificateThumbprint: string }>(['principal', 'create', '--name', 'cert-app', '--certificate', cert]);
    assert.equal(created.clientSecret, undefined);
    assert.match(created.certificateThumbprint, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await strongroom(['principal', 'create', '--name', 'x', '--certificate', join(dir, 'missing.pem')])).code, 1);
  });
});
