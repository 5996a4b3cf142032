/**
 * Issue 13, the two gaps closed after the first cut: multi-part AES (C_EncryptUpdate/C_EncryptFinal and
 * C_DecryptUpdate/C_DecryptFinal for CKM_AES_CBC and CKM_AES_CBC_PAD, buffered in the session and sent at Final)
 * and C_UnwrapKey mapped to the service's unwrapkey followed by an import (PUT /keys/{label}).
 *
 * Multi-part results are compared with the service's own single-call REST answer for the same input (the AES key
 * never leaves the service), and inputs longer than one REST call carries with REST calls chained by hand on
 * other boundaries than the module's. Unwrapped keys are wrapped here with node:crypto (RSA-OAEP with the RSA
 * key's public part from REST; RFC 3394 / RFC 5649 with a key-encryption key whose bytes this test imported), and
 * the imported key is then proved by encrypting through the module and comparing with node:crypto on the bytes.
 * Java 17's SunPKCS11 Cipher.update/doFinal (the reason multi-part matters) runs over the same module.
 */

/** Java: AES/CBC with and without PKCS5Padding, Cipher.update in uneven pieces then doFinal, both directions. */
const JAVA_MULTIPART = `
import java.security.*;
import java.util.*;
import javax.crypto.*;
import javax.crypto.spec.*;
public class Multipart {
  public static void main(String[] a) throws Exception {
    Provider p = Security.getProvider("SunPKCS11").configure(a[0]);
    KeyStore ks = KeyStore.getInstance("PKCS11", p);
    ks.load(null, "ignored".toCharArray());
    Key k = ks.getKey(a[1], null);
    byte[] iv = HexFormat.of().parseHex(a[2]), data = HexFormat.of().parseHex(a[3]);
    for (String t : new String[] { "AES/CBC/PKCS5Padding", "AES/CBC/NoPadding" }) {
      byte[] in = t.endsWith("NoPadding") ? Arrays.copyOf(data, data.length / 16 * 16) : data;
      Cipher c = Cipher.getInstance(t, p);
      c.init(Cipher.ENCRYPT_MODE, k, new IvParameterSpec(iv));
      java.io.ByteArrayOutputStream ct = new java.io.ByteArrayOutputStream();
      int off = 0;
      for (int step : new int[] { 5, 17, 40 }) { int n = Math.min(step, in.length - off); byte[] o = c.update(in, off, n); if (o != null) ct.write(o); off += n; }
      ct.write(c.doFinal(in, off, in.length - off));
      Cipher d = Cipher.getInstance(t, p);
      d.init(Cipher.DECRYPT_MODE, k, new IvParameterSpec(iv));
      java.io.ByteArrayOutputStream pt = new java.io.ByteArrayOutputStream();
      byte[] o = d.update(ct.toByteArray(), 0, 20); if (o != null) pt.write(o);
      pt.write(d.doFinal(ct.toByteArray(), 20, ct.size() - 20));
      System.out.println(t + " ct=" + HexFormat.of().formatHex(ct.toByteArray()) + " roundtrip=" + Arrays.equals(pt.toByteArray(), in));
    }
  }
}
`;
import assert from 'node:assert/strict';
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes, type JsonWebKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pkcs11js from 'pkcs11js';
import { libraryPath, startFixture, type Fixture } from './helpers/fixture.ts';
import { commandExists, runAsync } from './helpers/run.ts';

const CKM_AES_KEY_WRAP_KWP = 0x210b;
let f: Fixture;
let p: pkcs11js.PKCS11;
let session: Buffer;
let aes256: Buffer;
let kek: Buffer; // handle of the imported key-encryption key
const kekBytes = randomBytes(32);

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

function find(cls: number, label: string): Buffer[] {
  p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: cls }, { type: pkcs11js.CKA_LABEL, value: label }]);
  const found = p.C_FindObjects(session, 10);
  p.C_FindObjectsFinal(session);
  return found;
}

function secret(label: string): Buffer {
  const [h] = find(pkcs11js.CKO_SECRET_KEY, label);
  assert.ok(h !== undefined, `secret key ${label}`);
  return h;
}

async function rest(op: 'encrypt' | 'decrypt', name: string, body: Record<string, string>): Promise<Buffer> {
  const answer = await f.rest<Record<string, string>>('POST', `/keys/${name}//${op}`, body);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return Buffer.from(answer.body['value'] ?? '', 'base64url');
}

const cbc = (iv: Buffer) => ({ mechanism: pkcs11js.CKM_AES_CBC, parameter: iv });
const cbcPad = (iv: Buffer) => ({ mechanism: pkcs11js.CKM_AES_CBC_PAD, parameter: iv });

/** Multi-part through the module: one Update per part (each must output nothing), then Final. */
function multi(kind: 'encrypt' | 'decrypt', mechanism: pkcs11js.Mechanism, key: Buffer, parts: Buffer[]): Buffer {
  const total = parts.reduce((n, x) => n + x.length, 0);
  const out: Buffer[] = [];
  if (kind === 'encrypt') {
    p.C_EncryptInit(session, mechanism, key);
    for (const part of parts) out.push(p.C_EncryptUpdate(session, part, Buffer.alloc(part.length + 32)));
    out.push(p.C_EncryptFinal(session, Buffer.alloc(total + 32)));
  } else {
    p.C_DecryptInit(session, mechanism, key);
    for (const part of parts) out.push(p.C_DecryptUpdate(session, part, Buffer.alloc(part.length + 32)));
    out.push(p.C_DecryptFinal(session, Buffer.alloc(total + 32)));
  }
  for (const o of out.slice(0, -1)) assert.equal(o.length, 0, 'Update outputs nothing: the input goes at Final');
  return Buffer.concat(out);
}

function split(data: Buffer, sizes: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let off = 0;
  for (const s of sizes) { parts.push(data.subarray(off, off + s)); off += s; }
  if (off < data.length) parts.push(data.subarray(off));
  return parts;
}

function nodeCbc(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

function unwrapTemplate(label: string, extra: pkcs11js.Template = []): pkcs11js.Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }, { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_LABEL, value: label }, { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ENCRYPT, value: true }, { type: pkcs11js.CKA_DECRYPT, value: true }, ...extra,
  ];
}

const oaep = (hashAlg: number, mgf: number, label?: Buffer) => ({ mechanism: pkcs11js.CKM_RSA_PKCS_OAEP,
  parameter: { type: pkcs11js.CK_PARAMS_RSA_OAEP, hashAlg, mgf, source: 1, ...(label === undefined ? {} : { sourceData: label }) } });

/** The imported key works: CBC through the module equals node:crypto with the original bytes, and REST agrees. */
async function provesKey(h: Buffer, label: string, bytes: Buffer): Promise<void> {
  const [len] = p.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_VALUE_LEN }]);
  assert.equal(len?.value?.readUInt32LE(0), bytes.length);
  const iv = randomBytes(16);
  const data = randomBytes(45);
  p.C_EncryptInit(session, cbcPad(iv), h);
  const ct = p.C_Encrypt(session, data, Buffer.alloc(96));
  assert.deepEqual(ct, nodeCbc(bytes, iv, data), `${label}: the imported key is the unwrapped bytes`);
  const viaRest = await rest('encrypt', label, { alg: `A${bytes.length * 8}CBCPAD`, value: data.toString('base64url'), iv: iv.toString('base64url') });
  assert.deepEqual(viaRest, ct);
}

describe('multi-part AES and C_UnwrapKey through the module', { timeout: 180_000 }, () => {
  let rsaPub: ReturnType<typeof createPublicKey>;
  let rsaPriv: Buffer;

  before(async () => {
    f = await startFixture();
    await f.createKey({ name: 'aes-256', kty: 'oct', size: 256 });
    const rsa = await f.createKey({ name: 'rsa-kek', kty: 'RSA', size: 2048 });
    rsaPub = createPublicKey({ key: { kty: 'RSA', n: rsa.key.n, e: rsa.key.e } as JsonWebKey, format: 'jwk' });
    const imported = await f.rest('PUT', '/keys/aes-kek', { key: { kty: 'oct', k: kekBytes.toString('base64url') } });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    process.env['STRONGROOM_PKCS11_CONFIG'] = f.configPath;
    p = new pkcs11js.PKCS11();
    p.load(libraryPath);
    p.C_Initialize();
    session = p.C_OpenSession(p.C_GetSlotList(true)[0]!, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    aes256 = secret('aes-256');
    kek = secret('aes-kek');
    const [priv] = find(pkcs11js.CKO_PRIVATE_KEY, 'rsa-kek');
    assert.ok(priv !== undefined);
    rsaPriv = priv;
  });
  after(async () => {
    try { p?.C_Finalize(); } catch { /* not initialised */ }
    await f?.stop();
  });

  it('CBC and CBC-PAD in parts give what the service gives in one call, and decrypt back in parts', async () => {
    const iv = randomBytes(16);
    for (const [mech, alg, data, sizes] of [
      [cbc, 'A256CBC', randomBytes(96), [7, 33, 0, 40]],
      [cbcPad, 'A256CBCPAD', randomBytes(90), [1, 15, 16, 0, 50]],
      [cbcPad, 'A256CBCPAD', randomBytes(64), [64]], // whole blocks: CBC-PAD adds a full padding block
    ] as const) {
      const ct = multi('encrypt', mech(iv), aes256, split(data, [...sizes]));
      const byRest = await rest('encrypt', 'aes-256', { alg, value: data.toString('base64url'), iv: iv.toString('base64url') });
      assert.deepEqual(ct, byRest, `${alg}: multi-part encrypt`);
      p.C_EncryptInit(session, mech(iv), aes256);
      assert.deepEqual(p.C_Encrypt(session, data, Buffer.alloc(data.length + 32)), ct, `${alg}: single-part agrees`);
      assert.deepEqual(multi('decrypt', mech(iv), aes256, split(ct, [5, 16, 27])), data, `${alg}: multi-part decrypt`);
    }
  });

  it('follows the two-call rules at Final: a short buffer answers CKR_BUFFER_TOO_SMALL with the length and keeps the operation', () => {
    const iv = randomBytes(16);
    const data = randomBytes(37);
    p.C_EncryptInit(session, cbcPad(iv), aes256);
    assert.equal(p.C_EncryptUpdate(session, data, Buffer.alloc(64)).length, 0);
    assert.equal(rv(() => p.C_EncryptFinal(session, Buffer.alloc(47))), 'CKR_BUFFER_TOO_SMALL', '48 bytes are needed');
    const ct = p.C_EncryptFinal(session, Buffer.alloc(48));
    assert.equal(ct.length, 48);
    // CBC-PAD decrypt: the first Final makes the one remote call and keeps the plaintext (wiped later) for the second.
    p.C_DecryptInit(session, cbcPad(iv), aes256);
    p.C_DecryptUpdate(session, ct.subarray(0, 20), Buffer.alloc(64));
    p.C_DecryptUpdate(session, ct.subarray(20), Buffer.alloc(64));
    assert.equal(rv(() => p.C_DecryptFinal(session, Buffer.alloc(36))), 'CKR_BUFFER_TOO_SMALL');
    assert.deepEqual(p.C_DecryptFinal(session, Buffer.alloc(37)), data);
    assert.equal(rv(() => p.C_DecryptFinal(session, Buffer.alloc(64))), 'CKR_OPERATION_NOT_INITIALIZED', 'Final ended it');
    // CBC without padding: the length is the input's, no remote call needed to answer it.
    p.C_DecryptInit(session, cbc(iv), aes256);
    p.C_DecryptUpdate(session, ct, Buffer.alloc(64));
    assert.equal(rv(() => p.C_DecryptFinal(session, Buffer.alloc(47))), 'CKR_BUFFER_TOO_SMALL');
    assert.equal(p.C_DecryptFinal(session, Buffer.alloc(48)).length, 48);
  });

  it('refuses what multi-part cannot do: partial blocks, mixing with single-part, single-part mechanisms, over 1 MiB', () => {
    const iv = randomBytes(16);
    p.C_EncryptInit(session, cbc(iv), aes256);
    p.C_EncryptUpdate(session, randomBytes(15), Buffer.alloc(64));
    assert.equal(rv(() => p.C_EncryptFinal(session, Buffer.alloc(64))), 'CKR_DATA_LEN_RANGE', 'CBC needs whole blocks');
    assert.equal(rv(() => p.C_EncryptFinal(session, Buffer.alloc(64))), 'CKR_OPERATION_NOT_INITIALIZED', 'the error ended it');

    p.C_DecryptInit(session, cbcPad(iv), aes256);
    p.C_DecryptUpdate(session, randomBytes(20), Buffer.alloc(64));
    assert.equal(rv(() => p.C_DecryptFinal(session, Buffer.alloc(64))), 'CKR_ENCRYPTED_DATA_LEN_RANGE');

    p.C_EncryptInit(session, cbc(iv), aes256);
    p.C_EncryptUpdate(session, randomBytes(16), Buffer.alloc(64));
    assert.equal(rv(() => p.C_Encrypt(session, randomBytes(16), Buffer.alloc(64))), 'CKR_OPERATION_ACTIVE', 'C_Encrypt after an Update');
    assert.equal(p.C_EncryptFinal(session, Buffer.alloc(64)).length, 16, 'the multi-part operation is still there');

    p.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP }, aes256);
    assert.equal(rv(() => p.C_EncryptUpdate(session, randomBytes(16), Buffer.alloc(64))), 'CKR_MECHANISM_INVALID', 'key wrap is single-part');
    assert.equal(rv(() => p.C_EncryptFinal(session, Buffer.alloc(64))), 'CKR_OPERATION_NOT_INITIALIZED');

    p.C_EncryptInit(session, cbc(iv), aes256);
    const mib = Buffer.alloc(512 * 1024);
    p.C_EncryptUpdate(session, mib, Buffer.alloc(16));
    p.C_EncryptUpdate(session, mib, Buffer.alloc(16)); // exactly 1 MiB buffered
    assert.equal(rv(() => p.C_EncryptUpdate(session, randomBytes(16), Buffer.alloc(64))), 'CKR_DATA_LEN_RANGE', 'more than 1 MiB');
    assert.equal(rv(() => p.C_EncryptFinal(session, Buffer.alloc(64))), 'CKR_OPERATION_NOT_INITIALIZED');
  });

  it('sends input longer than one REST call carries as chained CBC requests', async () => {
    const iv = randomBytes(16);
    const data = randomBytes(200 * 1024 + 5);
    const ct = multi('encrypt', cbcPad(iv), aes256, split(data, [70_000, 3, 65_536]));
    assert.equal(ct.length, data.length + 11);
    // Expected: CBC chained by hand on 32 KiB boundaries (not the module's), the last piece padded.
    const expected: Buffer[] = [];
    let chain: Buffer = iv;
    for (let off = 0; off < data.length; off += 32 * 1024) {
      const piece = data.subarray(off, off + 32 * 1024);
      const last = off + 32 * 1024 >= data.length;
      const out = await rest('encrypt', 'aes-256', { alg: last ? 'A256CBCPAD' : 'A256CBC', value: piece.toString('base64url'), iv: chain.toString('base64url') });
      expected.push(out);
      chain = out.subarray(out.length - 16);
    }
    assert.deepEqual(ct, Buffer.concat(expected));
    assert.deepEqual(multi('decrypt', cbcPad(iv), aes256, split(ct, [100_001])), data);
    p.C_DecryptInit(session, cbcPad(iv), aes256);
    assert.deepEqual(p.C_Decrypt(session, ct, Buffer.alloc(ct.length)), data, 'single-part C_Decrypt of the same length');
  });

  it('Java SunPKCS11 Cipher.update/doFinal for AES/CBC/PKCS5Padding and NoPadding matches the service', async () => {
    assert.ok(commandExists('java'), 'java is missing: run .ci/pkcs11-setup.sh');
    const cfg = join(f.dir, 'sunpkcs11-multipart.cfg');
    writeFileSync(cfg, `name = StrongroomMultipart\nlibrary = ${libraryPath}\nslot = 0\n`);
    const src = join(f.dir, 'Multipart.java');
    writeFileSync(src, JAVA_MULTIPART);
    const iv = randomBytes(16);
    const data = randomBytes(77);
    const r = await runAsync('java', [src, cfg, 'aes-256', iv.toString('hex'), data.toString('hex')], { env: f.env });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    for (const [t, alg, d] of [['AES/CBC/PKCS5Padding', 'A256CBCPAD', data], ['AES/CBC/NoPadding', 'A256CBC', data.subarray(0, 64)]] as const) {
      const byRest = await rest('encrypt', 'aes-256', { alg, value: d.toString('base64url'), iv: iv.toString('base64url') });
      assert.ok(r.stdout.includes(`${t} ct=${byRest.toString('hex')} roundtrip=true`), `${t}\n${r.stdout}`);
    }
  });

  it('C_UnwrapKey with CKM_RSA_PKCS_OAEP (SHA-1 and SHA-256) imports the AES key into the service', async () => {
    for (const [hash, hashAlg, mgf, label] of [
      ['sha1', pkcs11js.CKM_SHA_1, pkcs11js.CKG_MGF1_SHA1, 'unwrapped-oaep1'],
      ['sha256', pkcs11js.CKM_SHA256, pkcs11js.CKG_MGF1_SHA256, 'unwrapped-oaep256'],
    ] as const) {
      const bytes = randomBytes(32);
      const wrapped = publicEncrypt({ key: rsaPub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, bytes);
      const h = p.C_UnwrapKey(session, oaep(hashAlg, mgf), rsaPriv, wrapped, unwrapTemplate(label));
      const bundle = await f.rest<{ key: { kty: string; key_ops: string[] } }>('GET', `/keys/${label}/`);
      assert.equal(bundle.status, 200);
      assert.equal(bundle.body.key.kty, 'oct-HSM');
      assert.deepEqual(bundle.body.key.key_ops.toSorted(), ['decrypt', 'encrypt']);
      assert.deepEqual(find(pkcs11js.CKO_SECRET_KEY, label), [h], 'the new key is in the object list');
      await provesKey(h, label, bytes);
    }
  });

  it('C_UnwrapKey with CKM_AES_KEY_WRAP and CKM_AES_KEY_WRAP_KWP under a Strongroom AES key', async () => {
    for (const [mechanism, cipher, iv, size, label] of [
      [pkcs11js.CKM_AES_KEY_WRAP, 'id-aes256-wrap', Buffer.from('a6a6a6a6a6a6a6a6', 'hex'), 24, 'unwrapped-kw'],
      [CKM_AES_KEY_WRAP_KWP, 'id-aes256-wrap-pad', Buffer.from('a65959a6', 'hex'), 16, 'unwrapped-kwp'],
    ] as const) {
      const bytes = randomBytes(size);
      const w = createCipheriv(cipher, kekBytes, iv);
      const wrapped = Buffer.concat([w.update(bytes), w.final()]);
      const h = p.C_UnwrapKey(session, { mechanism }, kek, wrapped, unwrapTemplate(label, [{ type: pkcs11js.CKA_VALUE_LEN, value: size }]));
      await provesKey(h, label, bytes);
    }
  });

  it('unwrapping into an existing name makes a new version; the object list shows it instead of the old one', async () => {
    const bytes = randomBytes(16);
    const w = createCipheriv('id-aes256-wrap', kekBytes, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
    const h = p.C_UnwrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP }, kek, Buffer.concat([w.update(bytes), w.final()]), unwrapTemplate('unwrapped-kw'));
    assert.deepEqual(find(pkcs11js.CKO_SECRET_KEY, 'unwrapped-kw'), [h]);
    await provesKey(h, 'unwrapped-kw', bytes);
  });

  it('C_UnwrapKey refuses what the service cannot make, before any key is created', async () => {
    const bytes = randomBytes(32);
    const wrap1 = publicEncrypt({ key: rsaPub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, bytes);
    const sha1 = oaep(pkcs11js.CKM_SHA_1, pkcs11js.CKG_MGF1_SHA1);
    const u = (mech: pkcs11js.Mechanism, key: Buffer, wrapped: Buffer, template: pkcs11js.Template) => rv(() => p.C_UnwrapKey(session, mech, key, wrapped, template));
    const t = unwrapTemplate('never-made');
    assert.equal(u(sha1, rsaPriv, wrap1, [...t.filter((a) => a.type !== pkcs11js.CKA_CLASS), { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]), 'CKR_TEMPLATE_INCONSISTENT');
    assert.equal(u(sha1, rsaPriv, wrap1, [...t.filter((a) => a.type !== pkcs11js.CKA_KEY_TYPE), { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA }]), 'CKR_TEMPLATE_INCONSISTENT');
    assert.equal(u(sha1, rsaPriv, wrap1, unwrapTemplate('never-made', [{ type: pkcs11js.CKA_VALUE_LEN, value: 20 }])), 'CKR_ATTRIBUTE_VALUE_INVALID');
    assert.equal(u(sha1, rsaPriv, wrap1, unwrapTemplate('never-made', [{ type: pkcs11js.CKA_VALUE_LEN, value: 16 }])), 'CKR_TEMPLATE_INCONSISTENT', 'a 32-byte key');
    assert.equal(u(sha1, rsaPriv, wrap1, unwrapTemplate('never-made', [{ type: pkcs11js.CKA_SENSITIVE, value: false }])), 'CKR_TEMPLATE_INCONSISTENT');
    // An exportable key needs a release policy: refused before the service unwraps anything (a blob it could not
    // unwrap gets the template's answer, not the unwrap's).
    const extractable = unwrapTemplate('never-made', [{ type: pkcs11js.CKA_EXTRACTABLE, value: true }]);
    assert.equal(u(sha1, rsaPriv, wrap1, extractable), 'CKR_TEMPLATE_INCONSISTENT', 'CKA_EXTRACTABLE');
    assert.equal(u(sha1, rsaPriv, randomBytes(256), extractable), 'CKR_TEMPLATE_INCONSISTENT', 'CKA_EXTRACTABLE, before any unwrap');
    assert.equal(u(oaep(pkcs11js.CKM_SHA_1, pkcs11js.CKG_MGF1_SHA1, Buffer.from('label')), rsaPriv, wrap1, t), 'CKR_MECHANISM_PARAM_INVALID', 'OAEP label');
    assert.equal(u(oaep(pkcs11js.CKM_SHA384, pkcs11js.CKG_MGF1_SHA384), rsaPriv, wrap1, t), 'CKR_MECHANISM_PARAM_INVALID', 'OAEP SHA-384');
    assert.equal(u({ mechanism: pkcs11js.CKM_RSA_PKCS }, rsaPriv, wrap1, t), 'CKR_MECHANISM_INVALID');
    assert.equal(u(sha1, rsaPriv, wrap1.subarray(1), t), 'CKR_WRAPPED_KEY_LEN_RANGE');
    assert.equal(u(sha1, rsaPriv, randomBytes(256), t), 'CKR_WRAPPED_KEY_INVALID', 'the service cannot unwrap it');
    assert.equal(u(sha1, kek, wrap1, t), 'CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT', 'OAEP with an AES key');
    assert.equal(u({ mechanism: pkcs11js.CKM_AES_KEY_WRAP }, kek, randomBytes(41), t), 'CKR_WRAPPED_KEY_LEN_RANGE');
    assert.equal(u({ mechanism: pkcs11js.CKM_AES_KEY_WRAP }, kek, randomBytes(40), t), 'CKR_WRAPPED_KEY_INVALID', 'integrity check fails');
    const wrapShort = publicEncrypt({ key: rsaPub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, randomBytes(20));
    assert.equal(u(sha1, rsaPriv, wrapShort, t), 'CKR_WRAPPED_KEY_INVALID', 'not an AES key size');
    const ro = p.C_OpenSession(p.C_GetSlotList(true)[0]!, pkcs11js.CKF_SERIAL_SESSION);
    assert.equal(rv(() => p.C_UnwrapKey(ro, sha1, rsaPriv, wrap1, t)), 'CKR_SESSION_READ_ONLY');
    p.C_CloseSession(ro);
    assert.equal((await f.rest('GET', '/keys/never-made/')).status, 404, 'no key was created');
    assert.equal(rv(() => p.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP }, kek, aes256, Buffer.alloc(64))), 'CKR_MECHANISM_INVALID',
      'the service exports only by RSA-AES key wrap (wrap.test.ts)');
  });

  it('announces CKF_UNWRAP for the unwrap mechanisms', () => {
    const slot = p.C_GetSlotList(true)[0]!;
    for (const m of [pkcs11js.CKM_RSA_PKCS_OAEP, pkcs11js.CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_KWP]) {
      assert.ok((p.C_GetMechanismInfo(slot, m).flags & pkcs11js.CKF_UNWRAP) !== 0, `0x${m.toString(16)}`);
    }
  });
});
