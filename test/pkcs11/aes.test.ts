/**
 * Issue 13: AES keys as CKO_SECRET_KEY objects, both directions remote. Each result made through the module is
 * checked against the service's own REST answer for the same input (the key never leaves the service, so there
 * is no plain key to check with): AES-CBC and AES-CBC-PAD with the caller's IV, AES key wrap (RFC 3394) and
 * wrap with padding (RFC 5649, PKCS#11 3.0's CKM_AES_KEY_WRAP_KWP), AES-GCM decryption of what the service
 * encrypted (GCM encryption is refused: the classic API cannot hand back the IV the service makes), and
 * C_GenerateKey (CKA_EXTRACTABLE true refused).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pkcs11js from 'pkcs11js';
import { libraryPath, startFixture, type Fixture } from './helpers/fixture.ts';

const CKM_AES_KEY_WRAP_KWP = 0x210b;
let f: Fixture;
let p: pkcs11js.PKCS11;
let session: Buffer;
let aes256: Buffer;

function rv(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (text.startsWith('CKR_')) return text.split(':')[0] ?? text;
    throw error;
  }
  return 'CKR_OK';
}

function find(label: string): Buffer {
  p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }, { type: pkcs11js.CKA_LABEL, value: label }]);
  const h = p.C_FindObjects(session, 1)[0];
  p.C_FindObjectsFinal(session);
  assert.ok(h !== undefined, `secret key ${label}`);
  return h;
}

async function restCipher(op: 'encrypt' | 'decrypt', name: string, body: Record<string, string>): Promise<Record<string, string>> {
  const answer = await f.rest<Record<string, string>>('POST', `/keys/${name}//${op}`, body);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

function moduleEncrypt(mechanism: pkcs11js.Mechanism, key: Buffer, data: Buffer): Buffer {
  p.C_EncryptInit(session, mechanism, key);
  return p.C_Encrypt(session, data, Buffer.alloc(data.length + 32));
}

function moduleDecrypt(mechanism: pkcs11js.Mechanism, key: Buffer, data: Buffer): Buffer {
  p.C_DecryptInit(session, mechanism, key);
  return p.C_Decrypt(session, data, Buffer.alloc(data.length + 32));
}

describe('AES secret keys through the module', { timeout: 120_000 }, () => {
  before(async () => {
    f = await startFixture();
    await f.createKey({ name: 'aes-256', kty: 'oct', size: 256 });
    process.env['STRONGROOM_PKCS11_CONFIG'] = f.configPath;
    p = new pkcs11js.PKCS11();
    p.load(libraryPath);
    p.C_Initialize();
    session = p.C_OpenSession(p.C_GetSlotList(true)[0]!, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    aes256 = find('aes-256');
  });
  after(async () => {
    try { p?.C_Finalize(); } catch { /* not initialised */ }
    await f?.stop();
  });

  it('lists the key as a sensitive CKK_AES secret key of the right length', () => {
    const [type, len, sensitive] = p.C_GetAttributeValue(session, aes256, [{ type: pkcs11js.CKA_KEY_TYPE }, { type: pkcs11js.CKA_VALUE_LEN }, { type: pkcs11js.CKA_SENSITIVE }]);
    assert.equal(type?.value?.readUInt32LE(0), pkcs11js.CKK_AES);
    assert.equal(len?.value?.readUInt32LE(0), 32);
    assert.deepEqual(sensitive?.value, Buffer.from([1]));
    assert.equal(rv(() => p.C_GetAttributeValue(session, aes256, [{ type: pkcs11js.CKA_VALUE }])), 'CKR_ATTRIBUTE_SENSITIVE');
  });

  it('AES-CBC and AES-CBC-PAD give what the service gives for the same IV, and decrypt back', async () => {
    const iv = randomBytes(16);
    for (const [mechanism, alg, data] of [[pkcs11js.CKM_AES_CBC, 'A256CBC', randomBytes(48)], [pkcs11js.CKM_AES_CBC_PAD, 'A256CBCPAD', randomBytes(37)]] as const) {
      const ct = moduleEncrypt({ mechanism, parameter: iv }, aes256, data);
      const rest = await restCipher('encrypt', 'aes-256', { alg, value: data.toString('base64url'), iv: iv.toString('base64url') });
      assert.deepEqual(ct, Buffer.from(rest['value'] ?? '', 'base64url'), alg);
      assert.deepEqual(moduleDecrypt({ mechanism, parameter: iv }, aes256, ct), data, `${alg} decrypt`);
    }
    assert.equal(rv(() => p.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_CBC }, aes256)), 'CKR_MECHANISM_PARAM_INVALID', 'no IV');
    p.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_CBC, parameter: iv }, aes256);
    assert.equal(rv(() => p.C_Encrypt(session, randomBytes(15), Buffer.alloc(64))), 'CKR_DATA_LEN_RANGE', 'CBC needs whole blocks');
  });

  it('wraps with RFC 3394 and RFC 5649 as the service does, and unwraps what the service wrapped', async () => {
    for (const [mechanism, alg, data] of [[pkcs11js.CKM_AES_KEY_WRAP, 'CKM_AES_KEY_WRAP', randomBytes(32)], [CKM_AES_KEY_WRAP_KWP, 'CKM_AES_KEY_WRAP_PAD', randomBytes(21)]] as const) {
      const wrapped = moduleEncrypt({ mechanism }, aes256, data);
      const unwrapped = await restCipher('decrypt', 'aes-256', { alg, value: wrapped.toString('base64url') });
      assert.deepEqual(Buffer.from(unwrapped['value'] ?? '', 'base64url'), data, `${alg}: the service unwraps the module's wrap`);
      const byService = await restCipher('encrypt', 'aes-256', { alg, value: data.toString('base64url') });
      assert.deepEqual(moduleDecrypt({ mechanism }, aes256, Buffer.from(byService['value'] ?? '', 'base64url')), data, `${alg}: unwrap`);
    }
  });

  it('decrypts AES-GCM that the service encrypted, checks the tag, and refuses GCM encryption', async () => {
    const data = randomBytes(40);
    const aad = Buffer.from('header');
    const enc = await restCipher('encrypt', 'aes-256', { alg: 'A256GCM', value: data.toString('base64url'), aad: aad.toString('base64url') });
    const iv = Buffer.from(enc['iv'] ?? '', 'base64url');
    const ct = Buffer.concat([Buffer.from(enc['value'] ?? '', 'base64url'), Buffer.from(enc['tag'] ?? '', 'base64url')]);
    const gcm = (a: Buffer) => ({ mechanism: pkcs11js.CKM_AES_GCM, parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad: a, ivBits: 96, tagBits: 128 } });
    assert.deepEqual(moduleDecrypt(gcm(aad), aes256, ct), data);
    p.C_DecryptInit(session, gcm(Buffer.from('other')), aes256);
    assert.equal(rv(() => p.C_Decrypt(session, ct, Buffer.alloc(64))), 'CKR_ENCRYPTED_DATA_INVALID', 'wrong AAD');
    assert.equal(rv(() => p.C_EncryptInit(session, gcm(aad), aes256)), 'CKR_MECHANISM_INVALID');
  });

  it('generates an AES key in the service with C_GenerateKey', async () => {
    const h = p.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_VALUE_LEN, value: 16 }, { type: pkcs11js.CKA_LABEL, value: 'aes-gen' },
      { type: pkcs11js.CKA_ENCRYPT, value: true }, { type: pkcs11js.CKA_DECRYPT, value: true }]);
    const answer = await f.rest<{ key: { kty: string; key_ops: string[] } }>('GET', '/keys/aes-gen/');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.key.key_ops.toSorted(), ['decrypt', 'encrypt']);
    const iv = randomBytes(16);
    const data = randomBytes(16);
    const ct = moduleEncrypt({ mechanism: pkcs11js.CKM_AES_CBC, parameter: iv }, h, data);
    const rest = await restCipher('encrypt', 'aes-gen', { alg: 'A128CBC', value: data.toString('base64url'), iv: iv.toString('base64url') });
    assert.deepEqual(ct, Buffer.from(rest['value'] ?? '', 'base64url'));
  });

  it('refuses CKA_EXTRACTABLE true on key generation, without asking the service', async () => {
    // An exportable key needs a release policy, which a template cannot carry: such keys are made over REST.
    const extractable = { type: pkcs11js.CKA_EXTRACTABLE, value: true };
    assert.equal(rv(() => p.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 }, { type: pkcs11js.CKA_LABEL, value: 'aes-extractable' }, extractable])), 'CKR_TEMPLATE_INCONSISTENT');
    assert.equal(rv(() => p.C_GenerateKeyPair(session, { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
      [{ type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from('06082a8648ce3d030107', 'hex') }, { type: pkcs11js.CKA_LABEL, value: 'ec-extractable' }],
      [{ type: pkcs11js.CKA_LABEL, value: 'ec-extractable' }, extractable])), 'CKR_TEMPLATE_INCONSISTENT');
    for (const name of ['aes-extractable', 'ec-extractable']) assert.equal((await f.rest('GET', `/keys/${name}/`)).status, 404, `${name} was not made`);
  });
});
