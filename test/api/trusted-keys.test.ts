/**
 * Cloud HSM's `trusted` and `wrapWithTrusted` key attributes over real HTTPS (docs/cloud-hsm-keys.md):
 *
 *   - every key bundle and list item carries both (defaults: trusted false, wrapWithTrusted true);
 *   - `PATCH /keys/{name}/{version}` with `attributes.trusted` sets or clears it, and only that: the same request
 *     changing anything else is 400; trusted cannot be set on create or import (400);
 *   - it needs keys/trusted/write/action: a Crypto User (keys/write/action only) is refused 403, a custom role
 *     with just that action may;
 *   - `wrapWithTrusted` is settable at create and import, false → true allowed, true → false 400.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient, principalToken, type ClientSecretCredentials } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';

let server: StartedServer;
let api: ReturnType<typeof apiClient>;

before(async () => {
  server = await startServer();
  api = apiClient(server, await accessToken(server));
});
after(() => disposeServer(server));

async function ok(response: Promise<{ status: number; text: string; json: any }>, status = 200) {
  const answered = await response;
  assert.equal(answered.status, status, answered.text);
  return answered.json;
}

async function principalWith(roleDefinitionId: string, scope = '/') {
  const principal = await ok(api.post('/principals', { displayName: `p-${randomUUID().slice(0, 8)}` }), 201);
  const credentials = principal.credentials as ClientSecretCredentials;
  await ok(api.put(`${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId, principalId: credentials.clientId } }), 201);
  return apiClient(server, await principalToken(server, credentials));
}

describe('the attributes on the wire', () => {
  test('bundles, version lists and key lists carry trusted (false) and wrapWithTrusted (true) by default', async () => {
    const created = await ok(api.post('/keys/plain/create', { kty: 'EC-HSM' }));
    assert.equal(created.attributes.trusted, false);
    assert.equal(created.attributes.wrapWithTrusted, true);
    assert.equal((await ok(api.get('/keys/plain'))).attributes.wrapWithTrusted, true);
    const versions = await ok(api.get('/keys/plain/versions'));
    assert.deepEqual([versions.value[0].attributes.trusted, versions.value[0].attributes.wrapWithTrusted], [false, true]);
    const listed = (await ok(api.get('/keys'))).value.find((item: { kid: string }) => item.kid.endsWith('/keys/plain'));
    assert.equal(listed.attributes.trusted, false);
  });

  test('wrapWithTrusted is settable at create and import and one-way to true', async () => {
    const loose = await ok(api.post('/keys/loose/create', { kty: 'RSA-HSM', key_size: 2048, attributes: { wrapWithTrusted: false } }));
    assert.equal(loose.attributes.wrapWithTrusted, false);
    const imported = await ok(api.put('/keys/imported-loose', { key: { kty: 'oct-HSM', k: Buffer.alloc(32, 3).toString('base64url') }, attributes: { wrapWithTrusted: false } }));
    assert.equal(imported.attributes.wrapWithTrusted, false);
    assert.equal((await ok(api.patch('/keys/loose', { attributes: { wrapWithTrusted: true } }))).attributes.wrapWithTrusted, true);
    const back = await api.patch('/keys/loose', { attributes: { wrapWithTrusted: false } });
    assert.equal(back.status, 400, back.text);
    assert.equal(back.json.error.code, 'BadParameter');
    assert.equal((await ok(api.get('/keys/loose'))).attributes.wrapWithTrusted, true);
  });
});

describe('trusted', () => {
  test('PATCH attributes.trusted sets and clears it on the version named, and changes nothing else', async () => {
    const first = await ok(api.post('/keys/kek/create', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['import'] }));
    const second = await ok(api.post('/keys/kek/create', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['import'] }));
    const firstVersion = first.key.kid.split('/').at(-1);
    const marked = await ok(api.patch(`/keys/kek/${firstVersion}`, { attributes: { trusted: true } }));
    assert.equal(marked.key.kid, first.key.kid);
    assert.equal(marked.attributes.trusted, true);
    assert.equal(marked.attributes.enabled, true);
    assert.equal((await ok(api.get('/keys/kek'))).attributes.trusted, false, 'the other version stays untrusted');
    assert.equal((await ok(api.get('/keys/kek'))).key.kid, second.key.kid);
    // An echoed read-only attribute does not count as another change.
    const cleared = await ok(api.patch(`/keys/kek/${firstVersion}`, { attributes: { trusted: false, created: marked.attributes.created } }));
    assert.equal(cleared.attributes.trusted, false);
  });

  test('a trust change beside any other change is 400, and so is trusted on create or import', async () => {
    await ok(api.post('/keys/mixed/create', { kty: 'EC-HSM' }));
    for (const body of [{ attributes: { trusted: true, enabled: false } }, { attributes: { trusted: true }, tags: { a: 'b' } }, { attributes: { trusted: true }, key_ops: ['sign'] }]) {
      const answered = await api.patch('/keys/mixed', body);
      assert.equal(answered.status, 400, answered.text);
      assert.match(answered.json.error.message, /request of its own/);
    }
    assert.equal((await ok(api.get('/keys/mixed'))).attributes.enabled, true, 'nothing changed');
    assert.equal((await api.post('/keys/born-trusted/create', { kty: 'EC-HSM', attributes: { trusted: true } })).status, 400);
    assert.equal((await api.put('/keys/born-trusted', { key: { kty: 'oct-HSM', k: Buffer.alloc(32).toString('base64url') }, attributes: { trusted: true } })).status, 400);
    assert.equal((await api.patch('/keys/no-such-key', { attributes: { trusted: true } })).status, 404);
    assert.equal((await api.patch('/keys/mixed', { attributes: { trusted: 'yes' } })).status, 400);
  });

  test('only keys/trusted/write/action may: a Crypto User is 403, a custom role with only that action may', async () => {
    await ok(api.post('/keys/guarded/create', { kty: 'EC-HSM' }));
    const user = await principalWith('21dbd100-6940-42c2-9190-5d6cb909625b');
    const denied = await user.patch('/keys/guarded', { attributes: { trusted: true } });
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.json.error.innererror?.code, 'ForbiddenByRbac');
    assert.equal((await ok(user.patch('/keys/guarded', { attributes: { enabled: true } }))).attributes.trusted, false);

    const roleName = randomUUID();
    await ok(api.put(`/providers/Microsoft.Authorization/roleDefinitions/${roleName}`, {
      properties: { roleName: 'Key truster', permissions: [{ dataActions: ['Microsoft.KeyVault/managedHsm/keys/trusted/write/action'] }] },
    }), 201);
    const truster = await principalWith(roleName, '/keys/guarded');
    assert.equal((await ok(truster.patch('/keys/guarded', { attributes: { trusted: true } }))).attributes.trusted, true);
    assert.equal((await truster.patch('/keys/guarded', { attributes: { enabled: false } })).status, 403, 'and nothing more');
    assert.equal((await truster.patch('/keys/plain', { attributes: { trusted: true } })).status, 403, 'only at its scope');
  });
});
