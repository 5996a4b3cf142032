/**
 * Issue 10: the authorization matrix. Every data-plane route (walked from the app's own route table, so a new
 * route is in it by construction) × each of the eleven built-in roles (Managed HSM's nine and Key Vault's two
 * secrets roles) × the scopes `/`, `/keys`, `/keys/k1` (the key or secret the request names) and `/keys/k2` (another key): one principal holding only that role at only that scope sends
 * the route's request. It must be refused with 403 `ForbiddenByRbac` exactly when the role does not grant the
 * route's data action at a scope covering the request's, and never refused so otherwise.
 *
 * What each role grants is written out here again from reference §5.2 and Key Vault's built-in role definitions
 * (not read from the code under test).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { OPERATIONS, type OperationName } from '../../src/domain/kernel/catalogue.ts';
import { accessToken, apiClient, principalToken } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { dataPlaneRouteTable } from '../helpers/route-table.ts';

const M = 'Microsoft.KeyVault/managedHsm/';
const ROLE_ADMINISTRATION = ['roleAssignments/delete/action', 'roleAssignments/read/action', 'roleAssignments/write/action', 'roleDefinitions/read/action', 'roleDefinitions/write/action', 'roleDefinitions/delete/action'];
/** Reference §5.2, data actions without the `Microsoft.KeyVault/managedHsm/` prefix. */
/** Key Vault's secrets data actions, in full (Azure's "Key Vault Secrets Officer" grants `secrets/*`, all of these). */
const S = 'Microsoft.KeyVault/vaults/secrets/';
const SECRETS_OFFICER = ['delete', 'backup/action', 'purge/action', 'update/action', 'recover/action', 'restore/action', 'readMetadata/action', 'getSecret/action', 'setSecret/action'].map((action) => `${S}${action}`);
const GRANTS: Record<string, string[]> = {
  'a290e904-7015-4bba-90c8-60543313cdb4': [...ROLE_ADMINISTRATION, 'securitydomain/download/action', 'securitydomain/download/read', 'securitydomain/upload/action', 'securitydomain/upload/read', 'securitydomain/transferkey/read', 'backup/start/action', 'backup/status/action', 'restore/start/action', 'restore/status/action', 'keys/trusted/write/action'],
  '515eb02d-2335-4d2d-92f2-b1cbdf9c3778': [...ROLE_ADMINISTRATION, 'keys/deletedKeys/read/action', 'keys/deletedKeys/delete', 'keys/deletedKeys/recover/action', 'keys/export/action', 'keys/trusted/write/action'],
  '21dbd100-6940-42c2-9190-5d6cb909625b': ['roleDefinitions/read/action', 'roleAssignments/read/action', 'keys/read/action', 'keys/write/action', 'keys/delete', 'keys/create', 'keys/import/action', 'keys/release/action', 'keys/backup/action', 'keys/restore/action', 'keys/encrypt/action', 'keys/decrypt/action', 'keys/wrap/action', 'keys/unwrap/action', 'keys/sign/action', 'keys/verify/action', 'keys/rotate/action', 'rng/action'],
  '4bd23610-cdcf-4971-bdee-bdc562cc28e4': ROLE_ADMINISTRATION,
  '2c18b078-7c48-4d3a-af88-5a3a1b3f82b3': ['roleAssignments/read/action', 'roleDefinitions/read/action', 'keys/read/action', 'keys/deletedKeys/read/action'],
  '33413926-3206-4cdd-b39a-83574fe37a17': ['keys/read/action', 'keys/wrap/action', 'keys/unwrap/action'],
  '21dbd100-6940-42c2-9190-5d6cb909625c': ['keys/release/action'],
  '7b127d3c-77bd-4e3e-bbe0-dbb8971fa7f8': ['backup/start/action', 'backup/status/action', 'keys/backup/action'],
  '6efe6056-5259-49d2-8b3d-d3d73544b20b': ['restore/start/action', 'restore/status/action', 'keys/restore/action'],
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': SECRETS_OFFICER,
  '4633458b-17de-408a-b874-0445c86b69e6': [`${S}getSecret/action`, `${S}readMetadata/action`],
};
/** A grant as written above: a Managed HSM suffix, or a full action name (the secrets roles'). */
const fullAction = (action: string) => (action.startsWith('Microsoft.') ? action : `${M}${action}`);
const SCOPES = ['/', '/keys', '/keys/k1', '/keys/k2', '/secrets', '/secrets/k1'] as const;
const digest = Buffer.alloc(32, 1).toString('base64url');

/** A body each operation's schema accepts (what happens after authorization does not matter here). */
const BODIES: Partial<Record<OperationName, object>> = {
  createKey: { kty: 'EC', crv: 'P-256' },
  importKey: { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) },
  updateKey: { tags: { matrix: 'yes' } },
  sign: { alg: 'ES256', value: digest },
  verify: { alg: 'ES256', digest, value: Buffer.alloc(64, 2).toString('base64url') },
  encrypt: { alg: 'RSA-OAEP-256', value: digest },
  decrypt: { alg: 'RSA-OAEP-256', value: digest },
  wrapKey: { alg: 'RSA-OAEP-256', value: digest },
  unwrapKey: { alg: 'RSA-OAEP-256', value: digest },
  getRandomBytes: { count: 8 },
  release: { target: 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2F0dGVzdC5leGFtcGxlIn0.c2ln' },
  setSecret: { value: 'matrix' },
  updateSecret: { tags: { matrix: 'yes' } },
  restoreSecret: { value: 'AAAA' },
  updateKeyRotationPolicy: { lifetimeActions: [{ trigger: { timeAfterCreate: 'P90D' }, action: { type: 'Rotate' } }], attributes: { expiryTime: 'P1Y' } },
};

let server: TestServer;

before(async () => {
  server = await startServer();
  const admin = apiClient(server, await accessToken(server));
  for (const name of ['k1', 'k2']) assert.equal((await admin.post(`/keys/${name}/create`, { kty: 'EC', crv: 'P-256' })).status, 200);
});
after(async () => { await disposeServer(server); });

/** A concrete request for a route pattern: the key is k1, every other parameter a well-formed unknown id. */
function concrete(url: string): string {
  return url
    .replace(/:name(?=\/|$)/, url.includes('roleAssignments') || url.includes('roleDefinitions') ? randomUUID() : 'k1')
    .replace(':keyName', 'k1')
    .replace(':secretName', 'k1')
    .replace(':version', 'a'.repeat(32))
    .replace(':jobId', 'b'.repeat(32))
    .replace(':id', randomUUID());
}

function scopeCovers(assigned: string, requested: string): boolean {
  return assigned === '/' || requested === assigned || requested.startsWith(`${assigned}/`);
}

test('every route × every built-in role × every scope: refused exactly when the role does not grant it there', async () => {
  const admin = apiClient(server, await accessToken(server));
  const routes = (await dataPlaneRouteTable()).filter((route) => route.method !== 'HEAD');
  assert.ok(routes.length > 40, `${routes.length} routes`);
  const mismatches: string[] = [];
  let checked = 0;
  for (const [role, grants] of Object.entries(GRANTS)) {
    for (const scope of SCOPES) {
      const created = await admin.post('/principals', { displayName: `matrix ${role.slice(0, 8)} ${scope}` });
      const { clientId, clientSecret, tenantId } = created.json.credentials;
      const prefix = scope === '/' ? '' : scope;
      const assignment = `${prefix}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`;
      const assigned = await admin.put(assignment, { properties: { roleDefinitionId: role, principalId: clientId } });
      assert.equal(assigned.status, 201, assigned.text);
      const api = apiClient(server, await principalToken(server, { tenantId, clientId, clientSecret }));
      for (const route of routes) {
        const operation = OPERATIONS[route.operation];
        // The RBAC routes name their scope in the path (`/keys/k1/providers/…`); role definitions exist only at `/`.
        const pathScope = route.url.includes('/providers/') ? route.url.slice(0, route.url.indexOf('/providers/')).replace(':keyName', 'k1').replace(':secretName', 'k1') || '/' : '/';
        const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
        const body = BODIES[route.operation] ?? (['post', 'put', 'patch'].includes(method) ? {} : undefined);
        const response = await api[method](concrete(route.url), body);
        checked++;
        if (route.url.includes('roleDefinitions') && pathScope !== '/') {
          // Malformed for everyone, before any decision: no role tells the caller anything here.
          if (response.status !== 400) mismatches.push(`${route.method} ${route.url}: 400 expected for a role definition outside /, got ${response.status}`);
          continue;
        }
        const requestScope = operation.scope({ name: 'k1', scope: pathScope, page: { limit: 1 }, count: 1, id: 'x' } as never);
        const allowed = grants.some((action) => fullAction(action) === operation.dataAction) && scopeCovers(scope, requestScope);
        const refused = response.status === 403 && response.json?.error?.innererror?.code === 'ForbiddenByRbac';
        if (refused === allowed) {
          mismatches.push(`${route.method} ${route.url} as ${role.slice(0, 8)} at ${scope}: ${allowed ? 'allowed' : 'denied'} expected, got ${response.status} ${response.json?.error?.code ?? ''}`);
        }
      }
      // Eleven roles at one key's scope would pass Managed HSM's limit of 10 assignments per key: each goes when done.
      assert.equal((await admin.delete(assignment)).status, 200);
    }
  }
  assert.deepEqual(mismatches, [], `${mismatches.length} of ${checked} checks`);
});
