/**
 * Rotation over raw HTTPS against a real server: `POST /keys/{name}/rotate` (a new version like the latest one,
 * exp from the policy), `GET`/`PUT /keys/{name}/rotationpolicy` (shapes of reference §3.4, the default answer of a
 * key without a policy, every validation error as 400 BadParameter), 404 KeyNotFound for missing and deleted
 * keys, the policy kept across versions and soft deletion, and the routing around `/keys/{name}/{version}`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let api: ReturnType<typeof apiClient>;
const DAY = 86_400;

before(async () => {
  server = await startServer();
  api = apiClient(server, await accessToken(server), '2025-07-01');
});
after(async () => { await disposeServer(server); });

function assertError(response: RawResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.json.error.code, code);
  if (message !== undefined) assert.match(response.json.error.message, message);
}

const policyUrl = (name: string) => `${server.url()}/keys/${name}/rotationpolicy`;

describe('POST /keys/{name}/rotate', () => {
  test('a new version with the type, size, key_ops and tags of the latest one', async () => {
    const created = await api.post('/keys/rsa-rot/create', { kty: 'RSA-HSM', key_size: 3072, key_ops: ['sign', 'verify'], tags: { env: 'test' } });
    assert.equal(created.status, 200, created.text);
    const rotated = await api.post('/keys/rsa-rot/rotate');
    assert.equal(rotated.status, 200, rotated.text);
    const { key, attributes, tags } = rotated.json;
    assert.notEqual(key.kid, created.json.key.kid);
    assert.match(key.kid, new RegExp(`^${server.url()}/keys/rsa-rot/[0-9a-f]{32}$`));
    assert.deepEqual([key.kty, key.key_ops, key.e, Buffer.from(key.n, 'base64url').length], ['RSA-HSM', ['sign', 'verify'], 'AQAB', 384]);
    assert.notEqual(key.n, created.json.key.n);
    assert.deepEqual(tags, { env: 'test' });
    assert.equal(attributes.enabled, true);
    assert.equal(attributes.exp, undefined, 'no policy: no exp');
    assert.equal((await api.get('/keys/rsa-rot/')).json.key.kid, key.kid, 'the rotated version is the latest');
    assert.equal((await api.get('/keys/rsa-rot/versions')).json.value.length, 2);

    const ec = await api.post('/keys/ec-rot/create', { kty: 'EC-HSM', crv: 'P-521' });
    const ecRotated = await api.post('/keys/ec-rot/rotate', {});
    assert.deepEqual([ecRotated.json.key.kty, ecRotated.json.key.crv, ecRotated.json.key.key_ops], ['EC-HSM', 'P-521', ec.json.key.key_ops]);
    // The new material is usable at once (sealed and opened under the new version's id).
    const signed = await api.post(`/keys/ec-rot/${ecRotated.json.key.kid.split('/').pop()}/sign`, { alg: 'ES512', value: Buffer.alloc(64, 7).toString('base64url') });
    assert.deepEqual([signed.status, signed.json.kid], [200, ecRotated.json.key.kid]);
    const oct = await api.post('/keys/oct-rot/create', { kty: 'oct-HSM', key_size: 128 });
    assert.equal(oct.status, 200, oct.text);
    const octRotated = await api.post('/keys/oct-rot/rotate');
    assert.deepEqual([octRotated.status, octRotated.json.key.kty, octRotated.json.key.k], [200, 'oct-HSM', undefined]);
  });

  test('exp = now + the policy\'s expiryTime', async () => {
    await api.post('/keys/expiring-rot/create', { kty: 'EC-HSM' });
    assert.equal((await api.put('/keys/expiring-rot/rotationpolicy', { attributes: { expiryTime: 'P90D' }, lifetimeActions: [] })).status, 200);
    const before = Math.floor(Date.now() / 1000);
    const rotated = await api.post('/keys/expiring-rot/rotate');
    const { created, exp } = rotated.json.attributes;
    assert.ok(created >= before);
    assert.equal(exp, created + 90 * DAY);
  });

  test('a missing or deleted key is 404 KeyNotFound, a name no key can have 400', async () => {
    assertError(await api.post('/keys/keynonexistent/rotate'), 404, 'KeyNotFound');
    assertError(await api.post('/keys/bad_name/rotate'), 400, 'BadParameter', /The key name 'bad_name' is invalid/);
    await api.post('/keys/deleted-rot/create', { kty: 'EC-HSM' });
    assert.equal((await api.delete('/keys/deleted-rot')).status, 200);
    assertError(await api.post('/keys/deleted-rot/rotate'), 404, 'KeyNotFound');
    assertError(await api.get('/keys/deleted-rot/rotationpolicy'), 404, 'KeyNotFound');
    assertError(await api.put('/keys/deleted-rot/rotationpolicy', { lifetimeActions: [] }), 404, 'KeyNotFound');
    assertError(await api.get('/keys/keynonexistent/rotationpolicy'), 404, 'KeyNotFound');
  });
});

describe('GET and PUT /keys/{name}/rotationpolicy', () => {
  test('a key without a policy: its id, no actions, no attributes', async () => {
    await api.post('/keys/no-policy/create', { kty: 'EC-HSM' });
    const response = await api.get('/keys/no-policy/rotationpolicy');
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json, { id: policyUrl('no-policy'), lifetimeActions: [], attributes: {} });
  });

  test('PUT stores the policy and answers it; GET reads it back; it survives rotation and soft deletion', async () => {
    await api.post('/keys/Policy-Key/create', { kty: 'EC-HSM' });
    const body = {
      lifetimeActions: [
        { trigger: { timeAfterCreate: 'P30D' }, action: { type: 'rotate' } },
        { trigger: { timeBeforeExpiry: 'P10D' }, action: { type: 'Notify' } },
      ],
      attributes: { expiryTime: 'P90D' },
    };
    const put = await api.put('/keys/policy-key/rotationpolicy', body);
    assert.equal(put.status, 200, put.text);
    const { created, updated } = put.json.attributes;
    assert.ok(Number.isInteger(created) && created === updated);
    assert.deepEqual(put.json, {
      id: policyUrl('Policy-Key'),
      lifetimeActions: [
        { trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } },
        { trigger: { timeBeforeExpiry: 'P10D' }, action: { type: 'Notify' } },
      ],
      attributes: { expiryTime: 'P90D', created, updated },
    });
    assert.deepEqual((await api.get('/keys/POLICY-KEY/rotationpolicy')).json, put.json);
    await api.post('/keys/policy-key/rotate');
    assert.deepEqual((await api.get('/keys/policy-key/rotationpolicy')).json, put.json);
    await api.delete('/keys/policy-key');
    assert.equal((await api.post('/deletedkeys/policy-key/recover')).status, 200);
    assert.deepEqual((await api.get('/keys/policy-key/rotationpolicy')).json, put.json);
    // Replacing it keeps `created`; an empty list of actions removes them.
    const emptied = await api.put('/keys/policy-key/rotationpolicy', { lifetimeActions: [], attributes: {} });
    assert.deepEqual(emptied.json.lifetimeActions, []);
    assert.equal(emptied.json.attributes.created, created);
    assert.equal(emptied.json.attributes.expiryTime, undefined);
  });

  test('every invalid policy is 400 BadParameter with a clear message, and nothing changes', async () => {
    await api.post('/keys/strict-policy/create', { kty: 'EC-HSM' });
    const put = (body: unknown) => api.put('/keys/strict-policy/rotationpolicy', body as object);
    const action = (trigger: object, type = 'Rotate') => ({ trigger, action: { type } });
    const cases: Array<[object, RegExp]> = [
      [{ attributes: { expiryTime: 'P27D' } }, /at least 28 days/],
      [{ attributes: { expiryTime: '90 days' } }, /ISO 8601 duration/],
      // Before, a policy of 300,000 years was kept, and rotating then stored an exp of NaN (500 on PostgreSQL).
      [{ attributes: { expiryTime: 'P300000Y' }, lifetimeActions: [action({ timeAfterCreate: 'P30D' })] }, /at most 100 years \(P100Y\)/],
      [{ lifetimeActions: [action({ timeAfterCreate: 'P36501D' })] }, /timeAfterCreate must be at most 100 years/],
      [{ lifetimeActions: [action({ timeAfterCreate: 'P1X' })] }, /timeAfterCreate must be a positive ISO 8601 duration/],
      [{ lifetimeActions: [action({ timeAfterCreate: 'P30D' }, 'Expire')] }, /must be Rotate or Notify, not 'Expire'/],
      [{ lifetimeActions: [action({ timeAfterCreate: 'P30D' }), action({ timeAfterCreate: 'P60D' }, 'ROTATE')] }, /at most one Rotate/],
      [{ lifetimeActions: [action({ timeBeforeExpiry: 'P30D' }, 'Notify'), action({ timeBeforeExpiry: 'P20D' }, 'notify')] }, /at most one Notify/],
      [{ lifetimeActions: [action({ timeAfterCreate: 'P30D' }, 'Notify')] }, /timeAfterCreate is only valid for a Rotate action/],
      [{ lifetimeActions: [action({ timeAfterCreate: 'P30D', timeBeforeExpiry: 'P10D' })] }, /exactly one of timeAfterCreate and timeBeforeExpiry/],
      [{ lifetimeActions: [action({})] }, /exactly one of/],
      [{ lifetimeActions: [action({ timeAfterCreate: 'P1D' })] }, /at least 7 days/],
      [{ lifetimeActions: [action({ timeBeforeExpiry: 'P30D' })] }, /needs attributes\.expiryTime/],
      [{ lifetimeActions: [action({ timeAfterCreate: 'P85D' })], attributes: { expiryTime: 'P90D' } }, /7 days shorter than attributes\.expiryTime/],
      [{ lifetimeActions: 'Rotate' }, /lifetimeActions/],
      [{ lifetimeActions: [action({ timeAfterCreate: 30 })] }, /timeAfterCreate/],
    ];
    for (const [body, message] of cases) assertError(await put(body), 400, 'BadParameter', message);
    assert.deepEqual((await api.get('/keys/strict-policy/rotationpolicy')).json.lifetimeActions, []);
  });

  test('routing: rotationpolicy and rotate are not versions; other methods are 405 with Allow', async () => {
    await api.post('/keys/routed/create', { kty: 'EC-HSM' });
    assert.equal((await api.get('/keys/routed/rotationpolicy')).json.id, policyUrl('routed'));
    assert.equal((await api.get('/keys/routed/RotationPolicy')).status, 200);
    for (const [method, path, allow] of [
      ['DELETE', '/keys/routed/rotationpolicy', 'GET, PUT'],
      ['POST', '/keys/routed/rotationpolicy', 'GET, PUT'],
    ] as const) {
      const response = await (method === 'DELETE' ? api.delete(path) : method === 'POST' ? api.post(path) : api.get(path));
      assert.equal(response.status, 405, `${method} ${path}: ${response.text}`);
      // Allow lists every method the router would take for the path (also GET/PATCH /keys/{name}/{version}).
      const allowed = String(response.headers['allow']).split(', ');
      for (const expected of allow.split(', ')) assert.ok(allowed.includes(expected), `${method} ${path}: Allow ${allowed.join(', ')}`);
    }
    // GET /keys/{name}/rotate is GET /keys/{name}/{version} with a version that does not exist, as for /sign.
    assertError(await api.get('/keys/routed/rotate'), 404, 'KeyNotFound');
    // A version-shaped segment still reads a version.
    assertError(await api.get(`/keys/routed/${'0'.repeat(32)}`), 404, 'KeyNotFound');
  });
});
