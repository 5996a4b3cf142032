/**
 * Issue 11, BYOK (reference §3.5) through a real HTTPS server: the key-exchange key (KEK) rules, and
 * `PUT /keys/{name}` with `key.key_hsm` = a transfer blob built by the `openssl` command line (RSA-OAEP SHA-1 of
 * an ephemeral AES key, then `openssl enc -id-aes256-wrap-pad`), so the import is checked against a tool that is
 * not ours. Imported keys are then used, and their results checked with the original key outside the service:
 * RSA and EC signatures verified by node:crypto with the original public key, an AES key decrypting what
 * `openssl enc` encrypted. The real SDK's importKey (`t` = the blob bytes, sent base64url) works too. Every
 * refusal is a 400 BadParameter naming the fault, and the key does not exist afterwards.
 */
import assert from 'node:assert/strict';
import { constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { accessToken, apiClient, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { opensslKey, opensslRsaAesWrap, runOpenssl } from '../helpers/openssl-byok.ts';
import { keyClientFor } from '../helpers/sdk.ts';

let server: TestServer;
let api: ReturnType<typeof apiClient>;
let kek: { kid: string; publicPem: string };
const now = () => Math.floor(Date.now() / 1000);
const digest = createHash('sha256').update('payload').digest();

before(async () => {
  server = await startServer();
  api = apiClient(server, await accessToken(server));
  kek = await createKek('kek', {});
});
after(async () => { await disposeServer(server); });

async function createKek(name: string, attributes: object, keySize = 2048): Promise<{ kid: string; publicPem: string }> {
  const response = await api.post(`/keys/${name}/create`, { kty: 'RSA-HSM', key_size: keySize, key_ops: ['import'], attributes });
  assert.equal(response.status, 200, response.text);
  const key = response.json.key;
  const publicPem = createPublicKey({ key: { kty: 'RSA', n: key.n, e: key.e }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return { kid: key.kid, publicPem };
}

/** The .byok JSON for `payload`, wrapped by the openssl CLI for the KEK's public key. */
function byok(kid: string, publicPem: string, payload: Buffer, header: object = {}): string {
  const ciphertext = opensslRsaAesWrap(publicPem, payload).toString('base64url');
  return JSON.stringify({ schema_version: '1.0.0', header: { kid, alg: 'dir', enc: 'CKM_RSA_AES_KEY_WRAP', ...header }, ciphertext, generator: 'openssl CLI' });
}

const base64 = (json: string) => Buffer.from(json).toString('base64');
const pkcs8Der = (pem: string) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });

function importByok(name: string, key: object): Promise<RawResponse> {
  return api.put(`/keys/${name}`, { key, attributes: { enabled: true } });
}

async function assertRefused(name: string, key: object, message: RegExp): Promise<void> {
  const response = await importByok(name, key);
  assert.equal(response.status, 400, response.text);
  assert.equal(response.json.error.code, 'BadParameter');
  assert.match(response.json.error.message, message);
  assert.equal((await api.get(`/keys/${name}`)).status, 404, `${name} must not exist after a refused import`);
}

describe('the key-exchange key', () => {
  it('is an RSA-HSM key with key_ops ["import"], its public key readable, and it can do nothing else', async () => {
    const response = await api.get('/keys/kek');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json.key.key_ops, ['import']);
    assert.equal(response.json.key.kty, 'RSA-HSM');
    assert.equal(response.json.key.d, undefined);
    const signed = await api.post('/keys/kek/sign', { alg: 'RS256', value: digest.toString('base64url') });
    assert.equal(signed.status, 403, signed.text);
    assert.equal(signed.json.error.innererror.code, 'KeyOperationForbidden');
  });

  it('import together with another operation, or on EC and oct keys, is refused', async () => {
    for (const [name, body, message] of [
      ['kek-and-sign', { kty: 'RSA-HSM', key_ops: ['import', 'sign'] }, /key-exchange key \(key_ops 'import'\) can do nothing else.*without sign/],
      ['kek-ec', { kty: 'EC-HSM', crv: 'P-256', key_ops: ['import'] }, /only valid for an RSA-HSM key-exchange key; EC-HSM keys cannot have it/],
      ['kek-oct', { kty: 'oct-HSM', key_size: 256, key_ops: ['import'] }, /only valid for an RSA-HSM key-exchange key; oct-HSM keys cannot have it/],
    ] as const) {
      const response = await api.post(`/keys/${name}/create`, body);
      assert.equal(response.status, 400, response.text);
      assert.match(response.json.error.message, message);
      assert.equal((await api.get(`/keys/${name}`)).status, 404);
    }
    for (const size of [3072, 4096]) assert.match((await createKek(`kek-${size}`, {}, size)).kid, /kek-\d+\/[0-9a-f]{32}$/);
  });

  it('an update cannot give a KEK other operations, take import away, or make another key a KEK', async () => {
    for (const [ops, message] of [
      [['import', 'decrypt'], /can do nothing else/],
      [['decrypt'], /its key_ops must stay \["import"\]/],
      [[], /its key_ops must stay \["import"\]/],
    ] as const) {
      const response = await api.patch('/keys/kek', { key_ops: ops });
      assert.equal(response.status, 400, response.text);
      assert.match(response.json.error.message, message);
    }
    assert.deepEqual((await api.get('/keys/kek')).json.key.key_ops, ['import']);
    assert.equal((await api.post('/keys/plain-rsa/create', { kty: 'RSA', key_size: 2048 })).status, 200);
    const promoted = await api.patch('/keys/plain-rsa', { key_ops: ['import'] });
    assert.equal(promoted.status, 400, promoted.text);
    assert.match(promoted.json.error.message, /only when it is created with key_ops \["import"\]/);
    assert.equal((await api.patch('/keys/kek', { key_ops: ['import'], tags: { role: 'kek' } })).status, 200);
  });
});

describe('importing a transfer blob made by the openssl CLI', () => {
  it('an RSA key (openssl genpkey): same public key, and its signatures verify with the original', async () => {
    const pem = opensslKey((out) => ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', out]);
    const response = await importByok('byok-rsa', { kty: 'RSA-HSM', key_ops: ['sign', 'verify'], key_hsm: base64(byok(kek.kid, kek.publicPem, pkcs8Der(pem))) });
    assert.equal(response.status, 200, response.text);
    const original = createPublicKey(pem).export({ format: 'jwk' });
    assert.equal(response.json.key.n, original.n);
    assert.equal(response.json.key.d, undefined);
    const signed = await api.post('/keys/byok-rsa/sign', { alg: 'PS256', value: digest.toString('base64url') });
    assert.equal(signed.status, 200, signed.text);
    assert.ok(verifyRsaPss(createPublicKey(pem), Buffer.from(signed.json.value, 'base64url')));
  });

  for (const [curve, opensslCurve, alg, hash] of [['P-256', 'prime256v1', 'ES256', 'sha256'], ['P-384', 'secp384r1', 'ES384', 'sha384'], ['P-256K', 'secp256k1', 'ES256K', 'sha256']] as const) {
    it(`an EC ${curve} key (openssl ecparam): same public point, and its signatures verify with the original`, async () => {
      const pem = opensslKey((out) => ['ecparam', '-name', opensslCurve, '-genkey', '-noout', '-out', out]);
      const name = `byok-ec-${curve.toLowerCase()}`;
      const response = await importByok(name, { kty: 'EC-HSM', crv: curve, key_ops: ['sign', 'verify'], key_hsm: base64(byok(kek.kid, kek.publicPem, pkcs8Der(pem))) });
      assert.equal(response.status, 200, response.text);
      const original = createPublicKey(pem).export({ format: 'jwk' });
      assert.deepEqual([response.json.key.crv, response.json.key.x, response.json.key.y], [curve, original.x, original.y]);
      const value = createHash(hash).update('message').digest();
      const signed = await api.post(`/keys/${name}/sign`, { alg, value: value.toString('base64url') });
      assert.equal(signed.status, 200, signed.text);
      // JWS signatures are r ‖ s (IEEE P1363); node:crypto checks it from the message, with the original key.
      assert.ok(verify(hash, Buffer.from('message'), { key: createPublicKey(pem), dsaEncoding: 'ieee-p1363' }, Buffer.from(signed.json.value, 'base64url')));
    });
  }

  it('an AES-256 key (openssl rand), given as raw JSON: it decrypts what openssl enc encrypted', async () => {
    const aesKey = runOpenssl(['rand', '32']);
    const response = await importByok('byok-aes', { kty: 'oct-HSM', key_ops: ['encrypt', 'decrypt'], key_hsm: byok(kek.kid, kek.publicPem, aesKey) });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.key.k, undefined);
    const iv = randomBytes(16);
    const plaintext = Buffer.from('encrypted by openssl enc, decrypted by Strongroom');
    const ciphertext = runOpenssl(['enc', '-aes-256-cbc', '-K', aesKey.toString('hex'), '-iv', iv.toString('hex')], plaintext);
    const decrypted = await api.post('/keys/byok-aes/decrypt', { alg: 'A256CBCPAD', value: ciphertext.toString('base64url'), iv: iv.toString('base64url') });
    assert.equal(decrypted.status, 200, decrypted.text);
    assert.deepEqual(Buffer.from(decrypted.json.value, 'base64url'), plaintext);
  });

  it('an AES-128 key through the Azure SDK importKey (key_hsm as base64url bytes), for a KEK named on another host', async () => {
    const aesKey = randomBytes(16);
    const otherHost = kek.kid.replace('https://localhost:', 'https://MyVault.managedhsm.localhost:');
    const client = keyClientFor(server);
    const imported = await client.importKey('byok-sdk-aes', { kty: 'oct-HSM', keyOps: ['wrapKey', 'unwrapKey'], t: Buffer.from(byok(otherHost, kek.publicPem, aesKey)) });
    assert.equal(imported.keyType, 'oct-HSM');
    const wrapped = runOpenssl(['enc', '-id-aes128-wrap', '-K', aesKey.toString('hex'), '-iv', 'A6A6A6A6A6A6A6A6'], Buffer.alloc(32, 9));
    const unwrapped = await api.post('/keys/byok-sdk-aes/unwrapkey', { alg: 'A128KW', value: wrapped.toString('base64url') });
    assert.equal(unwrapped.status, 200, unwrapped.text);
    assert.deepEqual(Buffer.from(unwrapped.json.value, 'base64url'), Buffer.alloc(32, 9));
  });
});

describe('refusals: 400 with the reason, nothing stored', () => {
  let ecPem: string;
  let rsaPem: string;
  before(() => {
    ecPem = opensslKey((out) => ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
    rsaPem = opensslKey((out) => ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', out]);
  });
  const ecKey = (keyHsm: string, extra: object = {}) => ({ kty: 'EC-HSM', crv: 'P-256', key_hsm: keyHsm, ...extra });

  it('a KEK that does not exist here (another instance\'s version), or a kid that is not a key version', async () => {
    const elsewhere = kek.kid.replace(/\/[0-9a-f]{32}$/, `/${randomBytes(16).toString('hex')}`);
    await assertRefused('r-missing-kek', ecKey(base64(byok(elsewhere, kek.publicPem, pkcs8Der(ecPem)))), /key-exchange key .* does not exist in this instance/);
    await assertRefused('r-bad-kid', ecKey(base64(byok('kek', kek.publicPem, pkcs8Der(ecPem)))), /header\.kid must be the full identifier/);
  });

  it('a key without import, a disabled KEK, and a KEK outside its nbf/exp window', async () => {
    const plain = await api.post('/keys/not-a-kek/create', { kty: 'RSA', key_size: 2048 });
    const plainPem = createPublicKey({ key: { kty: 'RSA', n: plain.json.key.n, e: plain.json.key.e }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    await assertRefused('r-not-kek', ecKey(base64(byok(plain.json.key.kid, plainPem, pkcs8Der(ecPem)))), /is not a key-exchange key: its key_ops lack 'import'/);
    for (const [name, attributes, message] of [
      ['kek-disabled', { enabled: false }, /is disabled/],
      ['kek-expired', { exp: now() - 60 }, /expired at \d+ \(exp\)/],
      ['kek-not-yet', { nbf: now() + 3600 }, /is not valid before \d+ \(nbf\)/],
    ] as const) {
      const other = await createKek(name, attributes);
      await assertRefused(`r-${name}`, ecKey(base64(byok(other.kid, other.publicPem, pkcs8Der(ecPem)))), message);
    }
  });

  it('corrupt, truncated or misdirected ciphertext: one generic message', async () => {
    const generic = /could not be opened with its key-exchange key: the ciphertext is corrupt or truncated/;
    const blob = JSON.parse(byok(kek.kid, kek.publicPem, pkcs8Der(ecPem)));
    const bytes = Buffer.from(blob.ciphertext, 'base64url');
    const withCiphertext = (ciphertext: Buffer) => base64(JSON.stringify({ ...blob, ciphertext: ciphertext.toString('base64url') }));
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 3] = (flipped[bytes.length - 3] ?? 0) ^ 0x80;
    await assertRefused('r-corrupt', ecKey(withCiphertext(flipped)), generic);
    await assertRefused('r-truncated', ecKey(withCiphertext(bytes.subarray(0, bytes.length - 16))), generic);
    await assertRefused('r-short', ecKey(withCiphertext(bytes.subarray(0, 200))), generic);
    const strangerPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await assertRefused('r-stranger', ecKey(base64(byok(kek.kid, strangerPem, pkcs8Der(ecPem)))), generic);
  });

  it('a key that is not the requested kty or crv, or not a key Strongroom takes', async () => {
    const ecBlob = base64(byok(kek.kid, kek.publicPem, pkcs8Der(ecPem)));
    await assertRefused('r-ec-as-rsa', { kty: 'RSA-HSM', key_hsm: ecBlob }, /holds an EC-HSM key, but the request's kty is RSA-HSM/);
    await assertRefused('r-wrong-curve', ecKey(ecBlob, { crv: 'P-384' }), /holds a P-256 key, but the request's crv is P-384/);
    await assertRefused('r-rsa-as-oct', { kty: 'oct-HSM', key_hsm: base64(byok(kek.kid, kek.publicPem, pkcs8Der(rsaPem))) }, /not an AES key of 128, 192 or 256 bits/);
    await assertRefused('r-aes-as-rsa', { kty: 'RSA-HSM', key_hsm: base64(byok(kek.kid, kek.publicPem, randomBytes(32))) }, /not a PKCS#8 private key, as an RSA-HSM import needs/);
    await assertRefused('r-aes-20', { kty: 'oct-HSM', key_hsm: base64(byok(kek.kid, kek.publicPem, randomBytes(20))) }, /not an AES key of 128, 192 or 256 bits/);
    const rsa1024 = opensslKey((out) => ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', out]);
    await assertRefused('r-rsa-1024', { kty: 'RSA-HSM', key_hsm: base64(byok(kek.kid, kek.publicPem, pkcs8Der(rsa1024))) }, /2048, 3072 or 4096/);
  });

  it('an unsupported enc, a blob that is not JSON, or private members beside key_hsm', async () => {
    await assertRefused('r-enc', ecKey(base64(byok(kek.kid, kek.publicPem, pkcs8Der(ecPem), { enc: 'A256KW' }))), /header\.enc 'A256KW' is not supported; use CKM_RSA_AES_KEY_WRAP/);
    await assertRefused('r-not-json', ecKey(base64('not a blob')), /not JSON/);
    await assertRefused('r-with-d', ecKey(base64(byok(kek.kid, kek.publicPem, pkcs8Der(ecPem))), { d: randomBytes(32).toString('base64url') }), /carries its key in key_hsm only/);
  });
});

/** PS256 over sha256('payload'): node:crypto verifies it from the message itself, with the original public key. */
function verifyRsaPss(publicKey: KeyObject, signature: Buffer): boolean {
  return verify('sha256', Buffer.from('payload'), { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
}
