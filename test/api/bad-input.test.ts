/**
 * Bad input of every kind gets the Key Vault error envelope with the right status and code, and leaves what is
 * stored exactly as it was. Raw HTTPS with a valid token, so that nothing the SDK checks first hides a case.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient, request, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let api: ReturnType<typeof apiClient>;
let token: string;
let snapshotBefore: string;

/** Everything a client can see of the stored keys, to compare before and after the bad requests. */
async function snapshot(): Promise<string> {
  const keys = await api.get('/keys');
  const versions = await api.get('/keys/existing/versions');
  const latest = await api.get('/keys/existing');
  const deleted = await api.get('/deletedkeys');
  return JSON.stringify([keys.json, versions.json, latest.json, deleted.json]);
}

function assertError(response: RawResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(response.json?.error?.code, code, response.text);
  assert.equal(typeof response.json.error.message, 'string');
  if (message !== undefined) assert.match(response.json.error.message, message);
}

before(async () => {
  server = await startServer();
  token = await accessToken(server);
  api = apiClient(server, token);
  assert.equal((await api.post('/keys/existing/create', { kty: 'EC', crv: 'P-256', tags: { a: 'b' } })).status, 200);
  assert.equal((await api.post('/keys/gone/create', { kty: 'EC' })).status, 200);
  assert.equal((await api.delete('/keys/gone')).status, 200);
  snapshotBefore = await snapshot();
});

after(async () => { await disposeServer(server); });

describe('malformed bodies', () => {
  test('invalid JSON is BadParameter, and the body is not echoed', async () => {
    const response = await request(server, { method: 'POST', path: '/keys/x/create?api-version=7.6', token, body: '{"kty":"RSA","secret":"hunter2"' });
    assertError(response, 400, 'BadParameter', /not valid JSON/);
    assert.doesNotMatch(response.text, /hunter2/);
  });

  for (const [what, body] of [['an array', '[]'], ['a string', '"RSA"'], ['null', 'null'], ['a number', '42']] as const) {
    test(`a body that is ${what} is BadParameter`, async () => {
      assertError(await request(server, { method: 'POST', path: '/keys/x/create?api-version=7.6', token, body }), 400, 'BadParameter');
    });
  }

  test('a missing body where one is required is BadParameter', async () => {
    assertError(await api.post('/keys/x/create'), 400, 'BadParameter');
  });

  test('a body that is not JSON is 415 UnsupportedMediaType', async () => {
    const response = await request(server, {
      method: 'POST', path: '/keys/x/create?api-version=7.6', token, body: 'kty=RSA', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assertError(response, 415, 'UnsupportedMediaType');
  });

  test('an oversized body is 413 RequestEntityTooLarge', async () => {
    const response = await api.post('/keys/x/create', { kty: 'EC', padding: 'x'.repeat(300 * 1024) });
    assertError(response, 413, 'RequestEntityTooLarge');
  });
});

describe('wrong types and unknown values', () => {
  const cases: Array<[string, object]> = [
    ['no kty', { key_size: 2048 }],
    ['kty as a number', { kty: 3 }],
    ['an unknown kty', { kty: 'DSA' }],
    ['an unknown curve', { kty: 'EC', crv: 'P-192' }],
    ['a curve given as a number', { kty: 'EC', crv: 256 }],
    ['RSA-1024', { kty: 'RSA', key_size: 1024 }],
    ['RSA-2047', { kty: 'RSA-HSM', key_size: 2047 }],
    ['key_size as a string', { kty: 'RSA', key_size: '2048' }],
    ['a fractional key_size', { kty: 'RSA', key_size: 2048.5 }],
    ['AES-512', { kty: 'oct-HSM', key_size: 512 }],
    ['public exponent 3', { kty: 'RSA', public_exponent: 3 }],
    ['an even public exponent', { kty: 'RSA', public_exponent: 65538 }],
    ['key_ops as a string', { kty: 'RSA', key_ops: 'sign' }],
    ['an unknown key operation', { kty: 'RSA', key_ops: ['sign', 'launch'] }],
    ['encrypt on an EC key', { kty: 'EC', key_ops: ['sign', 'encrypt'] }],
    ['enabled as a string', { kty: 'EC', attributes: { enabled: 'yes' } }],
    ['nbf as a string', { kty: 'EC', attributes: { nbf: '2026-01-01' } }],
    ['a negative exp', { kty: 'EC', attributes: { exp: -1 } }],
    ['exp before nbf', { kty: 'EC', attributes: { nbf: 2000000000, exp: 1900000000 } }],
    ['exportable without a release policy', { kty: 'EC', attributes: { exportable: true } }],
    ['a release policy that is not base64 JSON', { kty: 'EC', attributes: { exportable: true }, release_policy: { data: '!!!' } }],
    ['tags as an array', { kty: 'EC', tags: ['a'] }],
    ['a tag value that is a number', { kty: 'EC', tags: { a: 1 } }],
    ['16 tags', { kty: 'EC', tags: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v'])) }],
    ['a 257-character tag name', { kty: 'EC', tags: { ['n'.repeat(257)]: 'v' } }],
    ['a 257-character tag value', { kty: 'EC', tags: { name: 'v'.repeat(257) } }],
  ];
  for (const [what, body] of cases) {
    test(`create with ${what} is BadParameter`, async () => {
      assertError(await api.post('/keys/newkey/create', body), 400, 'BadParameter');
    });
  }

  test('exp before nbf is BadParameter, on create and on an update that keeps the other date', async () => {
    assertError(await api.post('/keys/badwindow/create', { kty: 'EC', attributes: { nbf: 2_000_000_000, exp: 1_900_000_000 } }), 400, 'BadParameter');
    const created = await api.post('/keys/windowed/create', { kty: 'EC', attributes: { nbf: 1_900_000_000 } });
    assert.equal(created.status, 200, created.text);
    const refused = await api.patch('/keys/windowed', { attributes: { exp: 1_800_000_000 } });
    assertError(refused, 400, 'BadParameter');
    assert.match(refused.json.error.message, /The expiry time \(exp\) must be later than the activation time \(nbf\)/);
    assert.equal((await api.patch('/keys/windowed', { attributes: { nbf: null, exp: 1_800_000_000 } })).status, 200);
    assert.equal((await api.delete('/keys/windowed')).status, 200);
    assert.equal((await api.delete('/deletedkeys/windowed')).status, 204);
  });

  test('15 tags of 256 characters each are fine (and the key is then removed again)', async () => {
    const tags = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`${i}`.padEnd(256, 'n'), 'v'.repeat(256)]));
    const created = await api.post('/keys/maxtags/create', { kty: 'EC', tags });
    assert.equal(created.status, 200);
    assert.deepEqual(created.json.tags, tags);
    assert.equal((await api.delete('/keys/maxtags')).status, 200);
    assert.equal((await api.delete('/deletedkeys/maxtags')).status, 204);
  });
});

describe('names and versions', () => {
  for (const name of ['bad_name', 'dots.are.bad', 'x'.repeat(128), 'sp%20ace', '%C3%A9t%C3%A9']) {
    test(`the key name '${name.slice(0, 20)}' is BadParameter`, async () => {
      assertError(await api.post(`/keys/${name}/create`, { kty: 'EC' }), 400, 'BadParameter', /key name/);
    });
  }

  test('a 127-character name is fine (and removed again)', async () => {
    const name = 'n'.repeat(127);
    assert.equal((await api.post(`/keys/${name}/create`, { kty: 'EC' })).status, 200);
    assert.equal((await api.delete(`/keys/${name}`)).status, 200);
    assert.equal((await api.delete(`/deletedkeys/${name}`)).status, 204);
  });

  test('unknown keys and versions are KeyNotFound', async () => {
    assertError(await api.get('/keys/nosuchkey'), 404, 'KeyNotFound');
    assertError(await api.get('/keys/existing/0123456789abcdef0123456789abcdef'), 404, 'KeyNotFound');
    assertError(await api.get('/keys/existing/not-a-version'), 404, 'KeyNotFound');
    assertError(await api.patch('/keys/nosuchkey', { attributes: { enabled: false } }), 404, 'KeyNotFound');
    assertError(await api.patch('/keys/existing/0123456789abcdef0123456789abcdef', { tags: {} }), 404, 'KeyNotFound');
    assertError(await api.delete('/keys/nosuchkey'), 404, 'KeyNotFound');
  });

  test('the versions of a name that does not exist are an empty page, as Key Vault answers (the SDK pager needs it)', async () => {
    const response = await api.get('/keys/nosuchkey/versions');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json, { value: [], nextLink: null });
  });

  test('deleted-key operations on a name that is not deleted are KeyNotFound', async () => {
    assertError(await api.get('/deletedkeys/existing'), 404, 'KeyNotFound', /Deleted Key not found/);
    assertError(await api.post('/deletedkeys/existing/recover'), 404, 'KeyNotFound');
    assertError(await api.delete('/deletedkeys/existing'), 404, 'KeyNotFound');
  });

  test('a soft-deleted name cannot be created or imported: 409 Conflict, ObjectIsDeletedButRecoverable', async () => {
    const created = await api.post('/keys/gone/create', { kty: 'EC' });
    assertError(created, 409, 'Conflict');
    assert.equal(created.json.error.innererror.code, 'ObjectIsDeletedButRecoverable');
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    assertError(await api.put('/keys/GONE', { key: jwk }), 409, 'Conflict');
  });

  test('an unknown operation is 404 NotFound in the envelope', async () => {
    assertError(await api.get('/no/such/operation'), 404, 'NotFound');
    assertError(await api.post('/keys/existing/levitate'), 404, 'NotFound');
  });
});

describe('updates that break a rule', () => {
  test('an existing key rejects bad updates, field by field', async () => {
    for (const body of [
      { attributes: { exportable: true } },
      { attributes: { nbf: 2000000000, exp: 1900000000 } },
      { key_ops: ['encrypt'] },
      { tags: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v'])) },
      { attributes: { enabled: 1 } },
    ]) {
      assertError(await api.patch('/keys/existing', body), 400, 'BadParameter');
    }
  });
});

describe('imports', () => {
  test('a public-only JWK, an unknown kty, a BYOK blob or a point off the curve is BadParameter', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const offCurve = { ...ec, y: Buffer.alloc(32, 7).toString('base64url') };
    for (const key of [
      { kty: ec.kty, crv: ec.crv, x: ec.x, y: ec.y },
      { kty: 'RSA', n: rsa.n, e: rsa.e },
      { ...ec, kty: 'OKP' },
      { kty: 'RSA-HSM', key_hsm: Buffer.from('{}').toString('base64url') },
      offCurve,
      { kty: 'oct', k: Buffer.alloc(20).toString('base64url') },
    ]) {
      assertError(await api.put('/keys/imported', { key }), 400, 'BadParameter');
    }
  });

  test('an RSA key with oversized members is refused at once, before any arithmetic', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const huge = Buffer.alloc(46_000, 0xff).toString('base64url');
    for (const member of ['p', 'q', 'd', 'n', 'qi'] as const) {
      assertError(await api.put('/keys/imported', { key: { ...rsa, [member]: huge } }), 400, 'BadParameter', new RegExp(member));
    }
  });

  test('errors about private material never repeat it', async () => {
    const one = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const two = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const response = await api.put('/keys/imported', { key: { ...one, q: two.q } });
    assertError(response, 400, 'BadParameter');
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      assert.ok(!response.text.includes(String(one[member]).slice(0, 16)), `the error must not contain ${member}`);
    }
  });
});

describe('paging parameters', () => {
  for (const maxresults of ['0', '26', 'abc', '-1', '1.5']) {
    test(`maxresults=${maxresults} is BadParameter`, async () => {
      assertError(await api.get(`/keys?maxresults=${maxresults}`), 400, 'BadParameter', /maxresults/);
    });
  }

  test('a forged $skiptoken is BadParameter', async () => {
    assertError(await api.get(`/keys?$skiptoken=${encodeURIComponent("'; DROP TABLE keys; --")}`), 400, 'BadParameter');
    assertError(await api.get(`/keys?$skiptoken=${Buffer.from('UPPER CASE').toString('base64url')}`), 400, 'BadParameter');
  });

  test('a $skiptoken that is no version position is BadParameter on a versions list, not an empty page', async () => {
    for (const forged of ['abc', 'existing', '0', '1e5']) {
      assertError(await api.get(`/keys/existing/versions?$skiptoken=${Buffer.from(forged).toString('base64url')}`), 400, 'BadParameter');
    }
  });
});

// Runs last (tests in a file run in order): the point of the whole file.
test('none of the bad requests above changed anything stored', async () => {
  assert.equal(await snapshot(), snapshotBefore);
});
