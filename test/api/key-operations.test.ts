/**
 * The rules of the key operation pipeline, enforced by the service itself (raw HTTPS: the SDK checks key_ops
 * and the validity window client-side and would never send these requests): key_ops, enabled, the nbf/exp
 * window and its documented exemptions (decrypt, unwrapKey and verify keep working), digest lengths,
 * algorithm/key mismatches, and failures that must not become oracles.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let api: ReturnType<typeof apiClient>;
const now = () => Math.floor(Date.now() / 1000);
const b64 = (bytes: Buffer) => bytes.toString('base64url');
const digest = b64(createHash('sha256').update('payload').digest());

before(async () => {
  server = await startServer();
  api = apiClient(server, await accessToken(server));
});
after(async () => { await disposeServer(server); });

function assertForbidden(response: RawResponse, inner: string): void {
  assert.equal(response.status, 403, response.text);
  assert.equal(response.json.error.code, 'Forbidden');
  assert.equal(response.json.error.innererror.code, inner);
}

async function create(name: string, body: object): Promise<string> {
  const response = await api.post(`/keys/${name}/create`, body);
  assert.equal(response.status, 200, response.text);
  return response.json.key.kid.split('/').pop();
}

describe('which operations a key allows', () => {
  test('an operation missing from key_ops is 403 KeyOperationForbidden', async () => {
    await create('verify-only', { kty: 'EC', key_ops: ['verify'] });
    assertForbidden(await api.post('/keys/verify-only/sign', { alg: 'ES256', value: digest }), 'KeyOperationForbidden');
    await create('wrap-only', { kty: 'oct-HSM', key_size: 256, key_ops: ['wrapKey', 'unwrapKey'] });
    assertForbidden(await api.post('/keys/wrap-only/encrypt', { alg: 'A256GCM', value: b64(randomBytes(8)) }), 'KeyOperationForbidden');
    assert.equal((await api.post('/keys/wrap-only/wrapkey', { alg: 'A256KW', value: b64(randomBytes(32)) })).status, 200);
  });

  test('key_ops changed by an update apply to the next operation', async () => {
    const version = await create('changing-ops', { kty: 'EC' });
    assert.equal((await api.post('/keys/changing-ops/sign', { alg: 'ES256', value: digest })).status, 200);
    assert.equal((await api.patch(`/keys/changing-ops/${version}`, { key_ops: ['verify'] })).status, 200);
    assertForbidden(await api.post('/keys/changing-ops/sign', { alg: 'ES256', value: digest }), 'KeyOperationForbidden');
  });

  test('a disabled key refuses every operation, including verify and decrypt', async () => {
    await create('disabled', { kty: 'RSA', key_size: 2048, attributes: { enabled: false } });
    for (const [op, body] of [
      ['sign', { alg: 'RS256', value: digest }],
      ['verify', { alg: 'RS256', digest, value: b64(randomBytes(256)) }],
      ['encrypt', { alg: 'RSA-OAEP-256', value: b64(randomBytes(8)) }],
      ['decrypt', { alg: 'RSA-OAEP-256', value: b64(randomBytes(256)) }],
      ['wrapkey', { alg: 'RSA-OAEP-256', value: b64(randomBytes(32)) }],
      ['unwrapkey', { alg: 'RSA-OAEP-256', value: b64(randomBytes(256)) }],
    ] as const) {
      assertForbidden(await api.post(`/keys/disabled/${op}`, body), 'KeyDisabled');
    }
  });
});

describe('the nbf/exp window', () => {
  test('an expired key still decrypts, unwraps and verifies, and nothing else', async () => {
    await create('expiring', { kty: 'RSA', key_size: 2048, attributes: { nbf: now() - 100, exp: now() + 3600 } });
    const encrypted = (await api.post('/keys/expiring/encrypt', { alg: 'RSA-OAEP-256', value: b64(Buffer.from('secret')) })).json.value;
    const wrapped = (await api.post('/keys/expiring/wrapkey', { alg: 'RSA-OAEP', value: b64(Buffer.alloc(32, 7)) })).json.value;
    const signature = (await api.post('/keys/expiring/sign', { alg: 'PS256', value: digest })).json.value;
    assert.equal((await api.patch('/keys/expiring', { attributes: { exp: now() - 1, nbf: now() - 100 } })).status, 200);

    assertForbidden(await api.post('/keys/expiring/sign', { alg: 'PS256', value: digest }), 'KeyExpired');
    assertForbidden(await api.post('/keys/expiring/encrypt', { alg: 'RSA-OAEP-256', value: b64(Buffer.from('x')) }), 'KeyExpired');
    assertForbidden(await api.post('/keys/expiring/wrapkey', { alg: 'RSA-OAEP', value: b64(Buffer.alloc(32)) }), 'KeyExpired');
    const decrypted = await api.post('/keys/expiring/decrypt', { alg: 'RSA-OAEP-256', value: encrypted });
    assert.equal(Buffer.from(decrypted.json.value, 'base64url').toString(), 'secret');
    assert.deepEqual(Buffer.from((await api.post('/keys/expiring/unwrapkey', { alg: 'RSA-OAEP', value: wrapped })).json.value, 'base64url'), Buffer.alloc(32, 7));
    assert.equal((await api.post('/keys/expiring/verify', { alg: 'PS256', digest, value: signature })).json.value, true);
  });

  test('a key not yet valid refuses sign and encrypt but verifies and decrypts', async () => {
    await create('future', { kty: 'oct-HSM', key_size: 256, key_ops: ['encrypt', 'decrypt', 'sign', 'verify'] });
    const sealed = (await api.post('/keys/future/encrypt', { alg: 'A256GCM', value: b64(Buffer.from('hi')) })).json;
    const mac = (await api.post('/keys/future/sign', { alg: 'HS256', value: digest })).json.value;
    assert.equal((await api.patch('/keys/future', { attributes: { nbf: now() + 3600 } })).status, 200);
    assertForbidden(await api.post('/keys/future/encrypt', { alg: 'A256GCM', value: b64(Buffer.from('hi')) }), 'KeyNotYetValid');
    assertForbidden(await api.post('/keys/future/sign', { alg: 'HS256', value: digest }), 'KeyNotYetValid');
    const opened = await api.post('/keys/future/decrypt', { alg: 'A256GCM', value: sealed.value, iv: sealed.iv, tag: sealed.tag });
    assert.equal(Buffer.from(opened.json.value, 'base64url').toString(), 'hi');
    assert.equal((await api.post('/keys/future/verify', { alg: 'HS256', digest, value: mac })).json.value, true);
  });

  test('verify answers as Managed HSM does: the key id and algorithm beside the result', async () => {
    const version = await create('verify-shape', { kty: 'EC', crv: 'P-256K' });
    const signed = (await api.post('/keys/verify-shape/sign', { alg: 'ES256K', value: digest })).json;
    // Recorded traffic (verify-es256k-mhsm): {"alg":"ES256K","kid":"https://…/keys/{name}/{version}","value":true}.
    assert.match(signed.kid, new RegExp(`/keys/verify-shape/${version}$`));
    const verified = await api.post('/keys/verify-shape/verify', { alg: 'ES256K', digest, value: signed.value });
    assert.deepEqual(verified.json, { kid: signed.kid, alg: 'ES256K', value: true });
    const wrong = await api.post(`/keys/verify-shape/${version}/verify`, { alg: 'ES256K', digest, value: b64(randomBytes(64)) });
    assert.deepEqual(wrong.json, { kid: signed.kid, alg: 'ES256K', value: false });
  });
});

describe('parameters', () => {
  before(async () => {
    await create('params-ec', { kty: 'EC', crv: 'P-384' });
    await create('params-aes', { kty: 'oct', key_size: 128 });
  });

  for (const [what, path, body] of [
    ['a digest of the wrong length', '/keys/params-ec/sign', { alg: 'ES384', value: digest }],
    ['an algorithm for another curve', '/keys/params-ec/sign', { alg: 'ES256', value: digest }],
    ['an algorithm for another key type', '/keys/params-ec/sign', { alg: 'RS256', value: digest }],
    ['an unknown algorithm', '/keys/params-ec/sign', { alg: 'ES999', value: digest }],
    ['an AES algorithm of another size', '/keys/params-aes/encrypt', { alg: 'A256GCM', value: 'AAAA' }],
    ['a caller IV for GCM', '/keys/params-aes/encrypt', { alg: 'A128GCM', value: 'AAAA', iv: b64(randomBytes(12)) }],
    ['unaligned CBC input', '/keys/params-aes/encrypt', { alg: 'A128CBC', value: 'AAAA', iv: b64(randomBytes(16)) }],
    ['a value that is not base64url', '/keys/params-aes/encrypt', { alg: 'A128GCM', value: 'no spaces!' }],
    ['a missing alg', '/keys/params-aes/encrypt', { value: 'AAAA' }],
    ['a missing value', '/keys/params-ec/sign', { alg: 'ES384' }],
    ['a verify without digest', '/keys/params-ec/verify', { alg: 'ES384', value: 'AAAA' }],
  ] as const) {
    test(`${what} is 400 BadParameter`, async () => {
      const response = await api.post(path, body);
      assert.equal(response.status, 400, response.text);
      assert.equal(response.json.error.code, 'BadParameter');
    });
  }

  test('operations on unknown keys or versions are 404 KeyNotFound', async () => {
    assert.equal((await api.post('/keys/nope/sign', { alg: 'ES256', value: digest })).status, 404);
    assert.equal((await api.post('/keys/params-ec/0123456789abcdef0123456789abcdef/sign', { alg: 'ES384', value: digest })).status, 404);
  });
});

describe('failures that must not be oracles', () => {
  test('a bad GCM tag, a bad KW blob and a bad OAEP block fail with one message and no plaintext', async () => {
    await create('oracle-aes', { kty: 'oct', key_size: 256 });
    await create('oracle-rsa', { kty: 'RSA', key_size: 2048 });
    const sealed = (await api.post('/keys/oracle-aes/encrypt', { alg: 'A256GCM', value: b64(Buffer.from('plaintext')) })).json;
    const wrong = Buffer.from(sealed.tag, 'base64url');
    wrong[15] = (wrong[15] ?? 0) ^ 0x80;
    const failures = [
      await api.post('/keys/oracle-aes/decrypt', { alg: 'A256GCM', value: sealed.value, iv: sealed.iv, tag: b64(wrong) }),
      await api.post('/keys/oracle-aes/decrypt', { alg: 'A256GCM', value: sealed.value, iv: sealed.iv, tag: sealed.tag.slice(0, 10) }),
      await api.post('/keys/oracle-aes/unwrapkey', { alg: 'A256KW', value: b64(randomBytes(40)) }),
      await api.post('/keys/oracle-rsa/decrypt', { alg: 'RSA-OAEP', value: b64(randomBytes(256)) }),
      await api.post('/keys/oracle-rsa/decrypt', { alg: 'RSA-OAEP-256', value: b64(randomBytes(255)) }),
    ];
    for (const response of failures) {
      assert.equal(response.status, 400, response.text);
      assert.deepEqual(response.json, { error: { code: 'BadParameter', message: 'The cryptographic operation failed.' } });
    }
  });

  test('a corrupted RSA1_5 ciphertext does not fail distinguishably (implicit rejection)', async () => {
    await create('oracle-rsa15', { kty: 'RSA', key_size: 2048 });
    const ciphertext = Buffer.from((await api.post('/keys/oracle-rsa15/encrypt', { alg: 'RSA1_5', value: b64(Buffer.from('secret')) })).json.value, 'base64url');
    // Corrupt the low-order bytes: the value stays below the modulus (a value above it is refused, but that
    // is public knowledge, not a padding oracle), and the padding no longer checks out.
    for (let round = 0; round < 20; round++) {
      const corrupted = Buffer.from(ciphertext);
      corrupted[255] = (corrupted[255] ?? 0) ^ (round + 1);
      const response = await api.post('/keys/oracle-rsa15/decrypt', { alg: 'RSA1_5', value: b64(corrupted) });
      assert.equal(response.status, 200, response.text);
      assert.notEqual(Buffer.from(response.json.value, 'base64url').toString(), 'secret');
    }
  });
});

describe('routes', () => {
  test('versioned, versionless and empty-version paths work, in any case; kid names the version used', async () => {
    const version = await create('routes', { kty: 'EC' });
    for (const path of ['/keys/routes/sign', '/keys/routes//sign', `/keys/routes/${version}/sign`, '/KEYS/Routes/SIGN', `/keys/routes/${version.toUpperCase()}/Sign`]) {
      const response = await api.post(path, { alg: 'ES256', value: digest });
      assert.equal(response.status, 200, path);
      assert.equal(response.json.kid, `${server.url()}/keys/routes/${version}`);
      assert.equal(response.json.alg, 'ES256');
    }
  });

  test('random bytes: 1 to 128, anything else is BadParameter', async () => {
    assert.equal(Buffer.from((await api.post('/rng', { count: 128 })).json.value, 'base64url').length, 128);
    for (const count of [0, 129, 1.5, '16']) assert.equal((await api.post('/rng', { count })).status, 400, String(count));
  });
});
