/**
 * The secrets API over raw HTTPS, for what the SDK hides: exact shapes and status codes, where a value may and
 * may not appear, Key Vault's error texts, paging, backups bound to the security domain, and the namespaces of
 * keys and secrets kept apart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient, request, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let other: TestServer;
let api: ReturnType<typeof apiClient>;
let token: string;
let otherApi: ReturnType<typeof apiClient>;
const VERSION = /^[0-9a-f]{32}$/;

before(async () => {
  [server, other] = await Promise.all([startServer(), startServer()]);
  token = await accessToken(server);
  api = apiClient(server, token, '2026-04-01');
  otherApi = apiClient(other, await accessToken(other), '2025-07-01');
});
after(async () => { await Promise.all([disposeServer(server), disposeServer(other)]); });

function assertError(response: RawResponse, status: number, code: string, message?: string | RegExp): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.json.error.code, code);
  if (typeof message === 'string') assert.equal(response.json.error.message, message);
  else if (message !== undefined) assert.match(response.json.error.message, message);
}

async function set(name: string, body: object): Promise<{ version: string; json: any }> {
  const response = await api.put(`/secrets/${name}`, body);
  assert.equal(response.status, 200, response.text);
  return { version: String(response.json.id).split('/').pop() ?? '', json: response.json };
}

describe('set and get', () => {
  test('PUT answers the SecretBundle with the value; GET latest (with and without the trailing slash) and by version', async () => {
    const { version, json } = await set('app-key', { value: 's3cr3t', contentType: 'text/plain', tags: { team: 'a' }, attributes: { enabled: true, exp: 2_000_000_000 } });
    assert.match(version, VERSION);
    assert.equal(json.id, `${server.url()}/secrets/app-key/${version}`);
    assert.deepEqual(Object.keys(json).sort(), ['attributes', 'contentType', 'id', 'tags', 'value']);
    assert.equal(json.value, 's3cr3t');
    assert.equal(json.attributes.exp, 2_000_000_000);
    assert.equal(json.attributes.recoveryLevel, 'Recoverable+Purgeable');
    assert.equal(json.attributes.recoverableDays, 90);
    assert.equal(json.attributes.created, json.attributes.updated);
    for (const path of ['/secrets/app-key', '/secrets/app-key/', `/secrets/APP-KEY/${version}`]) {
      const got = await api.get(path);
      assert.equal(got.status, 200, path);
      assert.deepEqual(got.json, json, path);
    }
  });

  test('a missing secret or version is 404 with Key Vault\'s text', async () => {
    const missing = await api.get('/secrets/nothing-here');
    assert.equal(missing.status, 404);
    assert.match(missing.json.error.message, /^A secret with \(name\/id\) nothing-here was not found in this key vault\./);
    await set('one-version', { value: 'x' });
    const version = await api.get('/secrets/one-version/00000000000000000000000000000000');
    assert.equal(version.status, 404);
    assert.match(version.json.error.message, /one-version\/00000000000000000000000000000000 was not found/);
  });

  test('the 404 code is SecretNotFound and a withheld value\'s 403 has inner code SecretDisabled, as Key Vault answers', async () => {
    assert.equal((await api.get('/secrets/nothing-here')).json.error.code, 'SecretNotFound');
    await set('withheld', { value: 'v', attributes: { enabled: false } });
    assert.equal((await api.get('/secrets/withheld')).json.error.innererror?.code, 'SecretDisabled');
  });

  test('values: 25,600 bytes of UTF-8 pass, one more is 400 naming the limit; a lone surrogate is 400; value is required', async () => {
    await set('big', { value: 'é'.repeat(12_800) });
    assert.equal((await api.get('/secrets/big')).json.value, 'é'.repeat(12_800));
    assertError(await api.put('/secrets/too-big', { value: `${'é'.repeat(12_800)}a` }), 400, 'BadParameter', /25601 bytes of UTF-8; the limit is 25600 bytes/);
    assertError(await api.put('/secrets/surrogate', '{"value":"a\\ud800b"}'), 400, 'BadParameter', /well-formed Unicode/);
    assertError(await api.put('/secrets/no-value', { contentType: 'x' }), 400, 'BadParameter');
    assertError(await api.put('/secrets/number', { value: 5 }), 400, 'BadParameter');
    const nul = await set('nul', { value: 'a\u0000b' });
    assert.equal(nul.json.value, 'a\u0000b');
  });

  test('names: 1–127 of 0-9 a-z A-Z -, else 400; compared case-insensitively, the first spelling kept', async () => {
    assertError(await api.put('/secrets/bad_name', { value: 'x' }), 400, 'BadParameter', /secret name 'bad_name' is invalid/);
    assertError(await api.put(`/secrets/${'a'.repeat(128)}`, { value: 'x' }), 400, 'BadParameter');
    await set('MixedCase', { value: '1' });
    const again = await set('MIXEDCASE', { value: '2' });
    assert.match(again.json.id, /\/secrets\/MixedCase\//);
    assert.equal((await api.get('/secrets/mixedcase')).json.value, '2');
  });

  test('exp must be later than nbf', async () => {
    assertError(await api.put('/secrets/window', { value: 'x', attributes: { nbf: 2000, exp: 1000 } }), 400, 'BadParameter', /exp.*later than.*nbf/);
  });
});

describe('update', () => {
  test('PATCH changes attributes, tags and contentType and answers without the value; a value in the body changes nothing', async () => {
    const { version } = await set('patched', { value: 'original', tags: { a: '1' } });
    const response = await api.patch(`/secrets/patched/${version}`, { value: 'sneaky', contentType: 'application/json', tags: { b: '2' }, attributes: { nbf: 1000 } });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.value, undefined);
    assert.equal(response.json.contentType, 'application/json');
    assert.deepEqual(response.json.tags, { b: '2' });
    assert.equal(response.json.attributes.nbf, 1000);
    assert.equal((await api.get('/secrets/patched')).json.value, 'original');
    const cleared = await api.patch('/secrets/patched/', { attributes: { nbf: null } });
    assert.equal(cleared.json.attributes.nbf, undefined);
    assertError(await api.patch('/secrets/patched/ffffffffffffffffffffffffffffffff', {}), 404, 'SecretNotFound');
  });

  test('exp before nbf is 400, on set and on an update that keeps the other date', async () => {
    const window = /The expiry time \(exp\) must be later than the activation time \(nbf\)/;
    assertError(await api.put('/secrets/bad-window', { value: 'v', attributes: { nbf: 2_000_000_000, exp: 1_900_000_000 } }), 400, 'BadParameter', window);
    const { version } = await set('windowed', { value: 'v', attributes: { nbf: 1_900_000_000 } });
    assertError(await api.patch(`/secrets/windowed/${version}`, { attributes: { exp: 1_800_000_000 } }), 400, 'BadParameter', window);
    assert.equal((await api.patch(`/secrets/windowed/${version}`, { attributes: { nbf: null, exp: 1_800_000_000 } })).status, 200);
  });

  test('disabled, not yet valid, expired: 403 and no value; metadata stays readable', async () => {
    const { version } = await set('gated', { value: 'v', attributes: { enabled: false } });
    assertError(await api.get('/secrets/gated'), 403, 'Forbidden', 'Operation get is not allowed on a disabled secret.');
    assertError(await api.get(`/secrets/gated/${version}`), 403, 'Forbidden', 'Operation get is not allowed on a disabled secret.');
    const now = Math.floor(Date.now() / 1000);
    await api.patch(`/secrets/gated/${version}`, { attributes: { enabled: true, nbf: now + 3600 } });
    assertError(await api.get('/secrets/gated'), 403, 'Forbidden', /not yet valid/);
    await api.patch(`/secrets/gated/${version}`, { attributes: { nbf: null, exp: now - 10 } });
    assertError(await api.get('/secrets/gated'), 403, 'Forbidden', /expired/);
    const versions = await api.get('/secrets/gated/versions');
    assert.equal(versions.json.value.length, 1);
    await api.patch(`/secrets/gated/${version}`, { attributes: { exp: null } });
    assert.equal((await api.get('/secrets/gated')).json.value, 'v');
  });
});

describe('listings', () => {
  test('GET /secrets and /secrets/{n}/versions page with maxresults and nextLink; items carry no value', async () => {
    for (const index of [0, 1, 2]) await set(`paged-${index}`, { value: `value-${index}`, contentType: 'c' });
    for (const index of [0, 1, 2]) await set('many-versions', { value: `v${index}` });
    const seen: any[] = [];
    let page: RawResponse = await api.get('/secrets?maxresults=2');
    for (;;) {
      assert.equal(page.status, 200, page.text);
      assert.ok(page.json.value.length <= 2);
      seen.push(...page.json.value);
      if (page.json.nextLink === null) break;
      // The nextLink is followed as it is, api-version included, as the SDK does.
      const next = new URL(page.json.nextLink);
      page = await request(server, { path: next.pathname + next.search, token });
    }
    const names = seen.map((item) => String(item.id).split('/').pop());
    assert.deepEqual(names, [...names].sort((a, b) => ((a ?? "").toLowerCase() < (b ?? "").toLowerCase() ? -1 : 1)));
    const paged = seen.find((item) => item.id === `${server.url()}/secrets/paged-1`);
    assert.deepEqual(Object.keys(paged).sort(), ['attributes', 'contentType', 'id']);
    assert.ok(seen.every((item) => item.value === undefined));
    const versions = await api.get('/secrets/many-versions/versions?maxresults=2');
    assert.equal(versions.json.value.length, 2);
    assert.match(versions.json.value[0].id, /\/secrets\/many-versions\/[0-9a-f]{32}$/);
    assert.match(versions.json.nextLink, /^https:\/\/localhost:\d+\/secrets\/many-versions\/versions\?/);
    assert.deepEqual((await api.get('/secrets/no-such/versions')).json, { value: [], nextLink: null });
    assertError(await api.get('/secrets?maxresults=26'), 400, 'BadParameter');
  });
});

describe('soft delete, recover, purge', () => {
  test('DELETE answers the DeletedSecretBundle without the value; the name is then 409 ObjectIsDeletedButRecoverable', async () => {
    await set('to-delete', { value: 'gone', tags: { k: 'v' } });
    const deleted = await api.delete('/secrets/to-delete');
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(deleted.json.value, undefined);
    assert.equal(deleted.json.recoveryId, `${server.url()}/deletedsecrets/to-delete`);
    assert.equal(deleted.json.scheduledPurgeDate - deleted.json.deletedDate, 90 * 86_400);
    const conflict = await api.put('/secrets/to-delete', { value: 'again' });
    assertError(conflict, 409, 'Conflict', 'Secret to-delete is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.');
    assert.equal(conflict.json.error.innererror.code, 'ObjectIsDeletedButRecoverable');
    assertError(await api.get('/secrets/to-delete'), 404, 'SecretNotFound');
    assertError(await api.delete('/secrets/to-delete'), 404, 'SecretNotFound');

    const got = await api.get('/deletedsecrets/TO-DELETE');
    assert.equal(got.status, 200);
    assert.equal(got.json.value, undefined);
    assert.deepEqual(got.json.tags, { k: 'v' });
    const list = await api.get('/deletedsecrets?maxresults=25');
    assert.ok(list.json.value.some((item: any) => item.recoveryId === `${server.url()}/deletedsecrets/to-delete` && item.value === undefined));

    const recovered = await api.post('/deletedsecrets/to-delete/recover');
    assert.equal(recovered.status, 200);
    assert.equal(recovered.json.value, undefined);
    assert.equal((await api.get('/secrets/to-delete')).json.value, 'gone');
    assertError(await api.post('/deletedsecrets/to-delete/recover'), 404, 'SecretNotFound', 'Deleted Secret not found: to-delete');

    await api.delete('/secrets/to-delete');
    const purged = await api.delete('/deletedsecrets/to-delete');
    assert.equal(purged.status, 204);
    assert.equal(purged.text, '');
    assertError(await api.get('/deletedsecrets/to-delete'), 404, 'SecretNotFound', 'Deleted Secret not found: to-delete');
    assertError(await api.delete('/deletedsecrets/to-delete'), 404, 'SecretNotFound');
  });

  test('a key and a secret share a name without touching each other', async () => {
    assert.equal((await api.post('/keys/twin/create', { kty: 'EC' })).status, 200);
    await set('twin', { value: 'secret twin' });
    assert.equal((await api.delete('/keys/twin')).status, 200);
    assert.equal((await api.get('/secrets/twin')).json.value, 'secret twin');
    assertError(await api.get('/deletedsecrets/twin'), 404, 'SecretNotFound');
    assert.equal((await api.delete('/secrets/twin')).status, 200);
    assert.equal((await api.delete('/deletedkeys/twin')).status, 204);
    assert.equal((await api.get('/deletedsecrets/twin')).status, 200);
    assert.equal((await api.post('/keys/twin/create', { kty: 'EC' })).status, 200);
  });
});

describe('backup and restore', () => {
  test('a backup restores every version here, 409 while the name exists, and only into the same security domain', async () => {
    const first = await set('backed-up', { value: 'one', contentType: 'text/plain' });
    await set('backed-up', { value: 'two', attributes: { enabled: false } });
    const backup = await api.post('/secrets/backed-up/backup');
    assert.equal(backup.status, 200);
    assert.match(backup.json.value, /^[A-Za-z0-9_-]+$/);
    assert.ok(!Buffer.from(backup.json.value, 'base64url').includes('one'));
    assertError(await api.post('/secrets/restore', { value: backup.json.value }), 409, 'Conflict', /already exists/);

    const foreign = await otherApi.post('/secrets/restore', { value: backup.json.value });
    assertError(foreign, 400, 'BadParameter', /belongs to another security domain/);
    assert.equal((await otherApi.get('/secrets/backed-up')).status, 404);

    await api.delete('/secrets/backed-up');
    assertError(await api.post('/secrets/restore', { value: backup.json.value }), 409, 'Conflict', /deleted but recoverable/);
    assert.equal((await api.delete('/deletedsecrets/backed-up')).status, 204);
    const restored = await api.post('/secrets/restore', { value: backup.json.value });
    assert.equal(restored.status, 200, restored.text);
    assert.equal(restored.json.value, undefined);
    assert.equal(restored.json.attributes.enabled, false);
    const old = await api.get(`/secrets/backed-up/${first.version}`);
    assert.equal(old.json.value, 'one');
    assert.equal(old.json.contentType, 'text/plain');
    assert.equal((await api.get('/secrets/backed-up/versions')).json.value.length, 2);
  });

  test('a damaged blob, a key backup, or no value is 400 and restores nothing', async () => {
    await set('tamper', { value: 'x' });
    const blob = Buffer.from((await api.post('/secrets/tamper/backup')).json.value, 'base64url');
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 1;
    assertError(await api.post('/secrets/restore', { value: blob.toString('base64url') }), 400, 'Malformed backup blob', 'Backup blob contains invalid or corrupt version.');
    await api.post('/keys/a-key/create', { kty: 'EC' });
    const keyBackup = (await api.post('/keys/a-key/backup')).json.value;
    assertError(await api.post('/secrets/restore', { value: keyBackup }), 400, 'Malformed backup blob', 'Backup blob contains invalid or corrupt version.');
    const secretBackup = (await api.post('/secrets/tamper/backup')).json.value;
    assertError(await api.post('/keys/restore', { value: secretBackup }), 400, 'Malformed backup blob', 'Backup blob contains invalid or corrupt version.');
    assertError(await api.post('/secrets/restore', {}), 400, 'BadParameter');
    assertError(await api.post('/secrets/missing/backup'), 404, 'SecretNotFound');
  });
});
