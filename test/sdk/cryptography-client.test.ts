/**
 * Every algorithm through the unmodified `CryptographyClient`, on both its remote path (the service does the
 * work) and its local path (the SDK works with the public key or a local JWK and the service does the other
 * half). Every signature the service makes is also checked by an independent implementation: Node's
 * `crypto.verify` over the original message.
 */
import assert from 'node:assert/strict';
import {
  constants,
  createCipheriv,
  createHash,
  createHmac,
  createPublicKey,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CryptographyClient, type KeyClient, type KeyVaultKey, type JsonWebKey as SdkJwk } from '@azure/keyvault-keys';
import { credentialFor, cryptographyClientFor, keyClientFor } from '../helpers/sdk.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let keys: KeyClient;
before(async () => {
  server = await startServer();
  keys = keyClientFor(server, 'crypto.vault.localhost');
});
after(async () => { await disposeServer(server); });

const HASH = { 256: 'sha256', 384: 'sha384', 512: 'sha512' } as const;
const message = Buffer.from('The quick brown fox jumps over the lazy dog');

function publicKeyOf(key: KeyVaultKey): KeyObject {
  const jwk = key.key;
  assert.ok(jwk !== undefined);
  const b64 = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('base64url');
  return jwk.kty?.startsWith('RSA')
    ? createPublicKey({ key: { kty: 'RSA', n: b64(jwk.n), e: b64(jwk.e) }, format: 'jwk' })
    : createPublicKey({ key: { kty: 'EC', crv: jwk.crv === 'P-256K' ? 'secp256k1' : jwk.crv, x: b64(jwk.x), y: b64(jwk.y) }, format: 'jwk' });
}

function cryptoFor(key: KeyVaultKey): CryptographyClient {
  return cryptographyClientFor(server, key.id ?? '');
}

describe('RSA signatures', () => {
  for (const keySize of [2048, 3072, 4096]) {
    test(`RS256/384/512 and PS256/384/512 with RSA-${keySize}, verified by Node over the message`, async () => {
      const key = await keys.createRsaKey(`rsa-sign-${keySize}`, { keySize, keyOps: ['sign', 'verify'] });
      const client = cryptoFor(key);
      const publicKey = publicKeyOf(key);
      for (const bits of [256, 384, 512] as const) {
        const rs = await client.signData(`RS${bits}`, message);
        assert.equal(rs.result.length, keySize / 8);
        assert.ok(nodeVerify(HASH[bits], message, publicKey, rs.result), `RS${bits}`);
        assert.equal((await client.verifyData(`RS${bits}`, message, rs.result)).result, true, `local RS${bits}`);

        const ps = await client.signData(`PS${bits}`, message);
        const pss = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 };
        assert.ok(nodeVerify(HASH[bits], message, pss, ps.result), `PS${bits}`);
        // Remote verification of the digest (the SDK's local PS* check uses the wrong padding).
        const digest = createHash(HASH[bits]).update(message).digest();
        assert.equal((await client.verify(`PS${bits}`, digest, ps.result)).result, true, `remote PS${bits}`);
        const tampered = Buffer.from(ps.result);
        tampered[10] = (tampered[10] ?? 0) ^ 1;
        assert.equal((await client.verify(`PS${bits}`, digest, tampered)).result, false);
      }
    });
  }

  test('RS256 is deterministic and equals what Node computes with the same key (checked through verify)', async () => {
    const key = await keys.createRsaKey('rsa-deterministic', { keySize: 2048 });
    const client = cryptoFor(key);
    const digest = createHash('sha256').update(message).digest();
    const first = await client.sign('RS256', digest);
    const second = await client.sign('RS256', digest);
    assert.deepEqual(first.result, second.result);
    assert.equal(first.keyID, key.id);
  });

  test('RSNULL pads the raw value with PKCS#1 v1.5 and no DigestInfo', async () => {
    const key = await keys.createRsaKey('rsa-null', { keySize: 2048 });
    const value = randomBytes(36); // e.g. a TLS 1.0 MD5||SHA-1 hash
    const signature = await cryptoFor(key).sign('RSNULL', value);
    assert.deepEqual(publicDecrypt({ key: publicKeyOf(key), padding: constants.RSA_PKCS1_PADDING }, signature.result), value);
  });
});

describe('ECDSA signatures', () => {
  for (const [curve, alg, bits, size] of [
    ['P-256', 'ES256', 256, 64], ['P-256K', 'ES256K', 256, 64], ['P-384', 'ES384', 384, 96], ['P-521', 'ES512', 512, 132],
  ] as const) {
    test(`${alg} on ${curve}: r||s of ${size} bytes, verified by Node and by the service`, async () => {
      const key = await keys.createEcKey(`ec-${curve}`, { curve });
      const client = cryptoFor(key);
      for (let round = 0; round < 5; round++) {
        const data = randomBytes(100);
        const signature = await client.signData(alg, data);
        assert.equal(signature.result.length, size);
        assert.ok(nodeVerify(HASH[bits], data, { key: publicKeyOf(key), dsaEncoding: 'ieee-p1363' }, signature.result));
        assert.equal((await client.verifyData(alg, data, signature.result)).result, true);
        assert.equal((await client.verifyData(alg, randomBytes(100), signature.result)).result, false);
      }
    });
  }
});

describe('RSA encryption and key wrapping', () => {
  let key: KeyVaultKey;
  let client: CryptographyClient;
  before(async () => {
    key = await keys.createRsaKey('rsa-enc', { keySize: 2048 });
    client = cryptoFor(key);
  });

  for (const algorithm of ['RSA-OAEP', 'RSA-OAEP-256', 'RSA1_5'] as const) {
    test(`${algorithm}: what the SDK encrypts or wraps (locally where it can) the service decrypts or unwraps`, async () => {
      const plaintext = randomBytes(32);
      const encrypted = await client.encrypt({ algorithm, plaintext });
      assert.deepEqual(Buffer.from((await client.decrypt({ algorithm, ciphertext: encrypted.result })).result), plaintext);
      const wrapped = await client.wrapKey(algorithm, plaintext);
      assert.deepEqual(Buffer.from((await client.unwrapKey(algorithm, wrapped.result)).result), plaintext);
    });
  }

  test('ciphertexts made by Node with OAEP (SHA-1 and SHA-256) and PKCS#1 v1.5 decrypt', async () => {
    const publicKey = publicKeyOf(key);
    const plaintext = randomBytes(48);
    for (const [algorithm, options] of [
      ['RSA-OAEP', { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }],
      ['RSA-OAEP-256', { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }],
      ['RSA1_5', { padding: constants.RSA_PKCS1_PADDING }],
    ] as const) {
      const ciphertext = publicEncrypt({ key: publicKey, ...options }, plaintext);
      assert.deepEqual(Buffer.from((await client.decrypt({ algorithm, ciphertext })).result), plaintext, algorithm);
    }
  });
});

describe('AES', () => {
  for (const size of [128, 192, 256] as const) {
    test(`A${size}GCM, A${size}CBC, A${size}CBCPAD and A${size}KW on a ${size}-bit key`, async () => {
      const key = await keys.createOctKey(`aes-${size}`, { keySize: size, hsm: true });
      const client = cryptoFor(key);
      const plaintext = randomBytes(100);
      const aad = randomBytes(20);

      const gcm = await client.encrypt({ algorithm: `A${size}GCM`, plaintext, additionalAuthenticatedData: aad });
      assert.equal(gcm.iv?.length, 12);
      assert.equal(gcm.authenticationTag?.length, 16);
      const opened = await client.decrypt({
        algorithm: `A${size}GCM`, ciphertext: gcm.result, iv: gcm.iv ?? new Uint8Array(), authenticationTag: gcm.authenticationTag ?? new Uint8Array(), additionalAuthenticatedData: aad,
      });
      assert.deepEqual(Buffer.from(opened.result), plaintext);
      const badTag = Buffer.from(gcm.authenticationTag ?? []);
      badTag[0] = (badTag[0] ?? 0) ^ 1;
      await assert.rejects(
        client.decrypt({ algorithm: `A${size}GCM`, ciphertext: gcm.result, iv: gcm.iv ?? new Uint8Array(), authenticationTag: badTag, additionalAuthenticatedData: aad }),
        { statusCode: 400, code: 'BadParameter' },
      );

      const iv = randomBytes(16);
      const cbcPad = await client.encrypt({ algorithm: `A${size}CBCPAD`, plaintext, iv });
      assert.equal(cbcPad.result.length, 112);
      assert.deepEqual(Buffer.from((await client.decrypt({ algorithm: `A${size}CBCPAD`, ciphertext: cbcPad.result, iv })).result), plaintext);
      const aligned = randomBytes(64);
      const cbc = await client.encrypt({ algorithm: `A${size}CBC`, plaintext: aligned, iv });
      assert.equal(cbc.result.length, 64);
      assert.deepEqual(Buffer.from((await client.decrypt({ algorithm: `A${size}CBC`, ciphertext: cbc.result, iv })).result), aligned);

      const cek = randomBytes(32);
      const wrapped = await client.wrapKey(`A${size}KW`, cek);
      assert.equal(wrapped.result.length, 40);
      assert.deepEqual(Buffer.from((await client.unwrapKey(`A${size}KW`, wrapped.result)).result), cek);
      for (const algorithm of ['CKM_AES_KEY_WRAP', 'CKM_AES_KEY_WRAP_PAD'] as const) {
        const material = algorithm === 'CKM_AES_KEY_WRAP' ? cek : randomBytes(21);
        const out = await client.wrapKey(algorithm, material);
        assert.deepEqual(Buffer.from((await client.unwrapKey(algorithm, out.result)).result), material, algorithm);
      }
    });
  }

  test('an imported AES key: the service agrees with Node (KW, GCM) and with the SDK local path (CBCPAD)', async () => {
    const k = randomBytes(32);
    const imported = await keys.importKey('aes-known', { kty: 'oct-HSM', k, keyOps: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] });
    const remote = cryptoFor(imported);

    const cek = randomBytes(32);
    const nodeWrapped = Buffer.concat([(() => { const c = createCipheriv('id-aes256-wrap', k, Buffer.alloc(8, 0xa6)); return Buffer.concat([c.update(cek), c.final()]); })()]);
    assert.deepEqual(Buffer.from((await remote.wrapKey('A256KW', cek)).result), nodeWrapped);

    const gcm = await remote.encrypt({ algorithm: 'A256GCM', plaintext: message });
    const decipher = (await import('node:crypto')).createDecipheriv('aes-256-gcm', k, gcm.iv ?? new Uint8Array());
    decipher.setAuthTag(gcm.authenticationTag ?? new Uint8Array());
    assert.deepEqual(Buffer.concat([decipher.update(gcm.result), decipher.final()]), message);

    const local = new CryptographyClient({ kid: imported.id, kty: 'oct-HSM', k, keyOps: ['encrypt', 'decrypt'] } as SdkJwk);
    const iv = randomBytes(16);
    const localCiphertext = await local.encrypt({ algorithm: 'A256CBCPAD', plaintext: message, iv });
    assert.deepEqual(Buffer.from((await remote.decrypt({ algorithm: 'A256CBCPAD', ciphertext: localCiphertext.result, iv })).result), message);
  });
});

describe('HMAC', () => {
  test('HS256/384/512 equal Node\'s HMAC of the digest under the imported key', async () => {
    const k = randomBytes(32);
    const imported = await keys.importKey('hmac-known', { kty: 'oct-HSM', k, keyOps: ['sign', 'verify'] });
    const client = cryptoFor(imported);
    for (const bits of [256, 384, 512] as const) {
      const digest = createHash(HASH[bits]).update(message).digest();
      const mac = await client.sign(`HS${bits}`, digest);
      assert.deepEqual(Buffer.from(mac.result), createHmac(HASH[bits], k).update(digest).digest());
      assert.equal((await client.verify(`HS${bits}`, digest, mac.result)).result, true);
      assert.equal((await client.verify(`HS${bits}`, digest, randomBytes(bits / 8))).result, false);
    }
  });
});

describe('random bytes', () => {
  test('1 to 128 bytes from the service', async () => {
    assert.equal((await keys.getRandomBytes(1)).length, 1);
    const a = await keys.getRandomBytes(128);
    const b = await keys.getRandomBytes(128);
    assert.equal(a.length, 128);
    assert.notDeepEqual(a, b);
    await assert.rejects(keys.getRandomBytes(129), { statusCode: 400 });
  });
});

test('a client built on a versionless id works with the latest version', async () => {
  const key = await keys.createEcKey('latest-only', { curve: 'P-256' });
  const versionless = new CryptographyClient(`${server.url('crypto.vault.localhost')}/keys/latest-only`, credentialFor(server), { agent: server.agent });
  const signature = await versionless.signData('ES256', message);
  assert.equal(signature.keyID, key.id);
  assert.ok(nodeVerify('sha256', message, { key: publicKeyOf(key), dsaEncoding: 'ieee-p1363' }, signature.result));
});

test('AES-CBC without an iv: the service generates one and returns it (the SDK sends none)', async () => {
  const key = await keys.createOctKey('aes-cbc-no-iv', { keySize: 256, hsm: true });
  const client = cryptoFor(key);
  const encrypted = await client.encrypt({ algorithm: 'A256CBCPAD', plaintext: message });
  assert.equal(encrypted.iv?.length, 16);
  const decrypted = await client.decrypt({ algorithm: 'A256CBCPAD', ciphertext: encrypted.result, iv: encrypted.iv ?? new Uint8Array() });
  assert.deepEqual(Buffer.from(decrypted.result), message);
});
