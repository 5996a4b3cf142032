/**
 * Issue 13: PKCS#11 rules applications rely on, through pkcs11js in this process. The standard ones run against
 * SoftHSM2 too, as the reference: call order (CKR_CRYPTOKI_NOT_INITIALIZED / ALREADY_INITIALIZED,
 * CKR_OPERATION_NOT_INITIALIZED / ACTIVE), the two-call convention with CKR_BUFFER_TOO_SMALL keeping the
 * operation, sensitive and unknown attributes, bad handles and mechanisms. Strongroom-only: attribute
 * completeness, handles stable across refresh and re-initialisation, HTTP errors mapped (403, 404, bad ciphertext),
 * session public keys (as Java makes them), parameters the service cannot honour.
 */
import assert from 'node:assert/strict';
import { constants, createHash, publicEncrypt, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pkcs11js from 'pkcs11js';
import { libraryPath, startFixture, type Fixture, type KeyBundle } from './helpers/fixture.ts';
import { publicKeyOf, runOk } from './helpers/run.ts';

const softhsmPath = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find(existsSync);

interface Target {
  name: string;
  p: pkcs11js.PKCS11;
  session: Buffer;
  rsaPriv: Buffer;
  rsaPub: Buffer;
}

function rv(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    // pkcs11js throws Pkcs11Error, or a plain Error whose message starts with the CKR_ name.
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('CKR_')) return message.split(':')[0] ?? message;
    throw error;
  }
  return 'CKR_OK';
}

function findOne(p: pkcs11js.PKCS11, session: Buffer, template: pkcs11js.Template): Buffer {
  p.C_FindObjectsInit(session, template);
  const found = p.C_FindObjects(session, 2);
  p.C_FindObjectsFinal(session);
  assert.equal(found.length, 1, `one object for ${JSON.stringify(template.map((a) => a.type))}`);
  return found[0]!;
}

const sha256Pkcs1 = { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS };
const data = Buffer.from('conformance');

/** Behaviour the standard fixes: each target must answer the same. */
function standardRules(target: () => Target): void {
  it('refuses a second C_Initialize', () => {
    const t = target();
    assert.equal(rv(() => t.p.C_Initialize()), 'CKR_CRYPTOKI_ALREADY_INITIALIZED');
  });

  it('C_FindObjects needs C_FindObjectsInit; a second Init while one is active is refused', () => {
    const { p, session } = target();
    assert.equal(rv(() => p.C_FindObjects(session, 1)), 'CKR_OPERATION_NOT_INITIALIZED');
    assert.equal(rv(() => p.C_FindObjectsFinal(session)), 'CKR_OPERATION_NOT_INITIALIZED');
    p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
    assert.equal(rv(() => p.C_FindObjectsInit(session, [])), 'CKR_OPERATION_ACTIVE');
    p.C_FindObjectsFinal(session);
  });

  it('C_Sign needs C_SignInit; a second SignInit is refused; a short buffer keeps the operation', () => {
    const { p, session, rsaPriv } = target();
    assert.equal(rv(() => p.C_Sign(session, data, Buffer.alloc(256))), 'CKR_OPERATION_NOT_INITIALIZED');
    p.C_SignInit(session, sha256Pkcs1, rsaPriv);
    assert.equal(rv(() => p.C_SignInit(session, sha256Pkcs1, rsaPriv)), 'CKR_OPERATION_ACTIVE');
    assert.equal(rv(() => p.C_Sign(session, data, Buffer.alloc(10))), 'CKR_BUFFER_TOO_SMALL');
    const sig = p.C_Sign(session, data, Buffer.alloc(512));
    assert.equal(sig.length, 256);
    assert.equal(rv(() => p.C_Sign(session, data, Buffer.alloc(512))), 'CKR_OPERATION_NOT_INITIALIZED', 'the operation ended');
  });

  it('signs in parts (C_SignUpdate/C_SignFinal) and verifies with C_Verify', () => {
    const { p, session, rsaPriv, rsaPub } = target();
    p.C_SignInit(session, sha256Pkcs1, rsaPriv);
    p.C_SignUpdate(session, data.subarray(0, 4));
    p.C_SignUpdate(session, data.subarray(4));
    const sig = p.C_SignFinal(session, Buffer.alloc(256));
    p.C_VerifyInit(session, sha256Pkcs1, rsaPub);
    assert.equal(p.C_Verify(session, data, sig), true);
    p.C_VerifyInit(session, sha256Pkcs1, rsaPub);
    assert.equal(rv(() => p.C_Verify(session, Buffer.from('other'), sig)), 'CKR_SIGNATURE_INVALID');
  });

  it('keeps private parts sensitive and names unknown attributes', () => {
    const { p, session, rsaPriv } = target();
    assert.equal(rv(() => p.C_GetAttributeValue(session, rsaPriv, [{ type: pkcs11js.CKA_PRIVATE_EXPONENT }])), 'CKR_ATTRIBUTE_SENSITIVE');
    assert.equal(rv(() => p.C_GetAttributeValue(session, rsaPriv, [{ type: 0x7fff0001 }])), 'CKR_ATTRIBUTE_TYPE_INVALID');
    const [sensitive] = p.C_GetAttributeValue(session, rsaPriv, [{ type: pkcs11js.CKA_SENSITIVE }]);
    assert.deepEqual(sensitive?.value, Buffer.from([1]));
  });

  it('answers bad handles and mechanisms with the standard codes', () => {
    const { p, session, rsaPriv } = target();
    assert.equal(rv(() => p.C_GetSessionInfo(Buffer.from([0xde, 0xad, 0, 0, 0, 0, 0, 0]))), 'CKR_SESSION_HANDLE_INVALID');
    assert.equal(rv(() => p.C_GetAttributeValue(session, Buffer.from([1, 2, 3, 4, 5, 6, 7, 0]), [{ type: pkcs11js.CKA_CLASS }])), 'CKR_OBJECT_HANDLE_INVALID');
    // PKCS#11 names CKR_KEY_HANDLE_INVALID for C_SignInit; SoftHSM2 answers CKR_OBJECT_HANDLE_INVALID.
    assert.match(rv(() => p.C_SignInit(session, sha256Pkcs1, Buffer.from([1, 2, 3, 4, 5, 6, 7, 0]))),
      target().name === 'strongroom' ? /^CKR_KEY_HANDLE_INVALID$/ : /^CKR_(KEY|OBJECT)_HANDLE_INVALID$/);
    // SoftHSM2 accepts this init and fails later; the module refuses at once, as PKCS#11 5.11 allows.
    if (target().name === 'strongroom') assert.equal(rv(() => p.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, rsaPriv)), 'CKR_KEY_TYPE_INCONSISTENT');
    assert.equal(rv(() => p.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256 }, rsaPriv)), 'CKR_MECHANISM_INVALID');
    assert.equal(rv(() => p.C_GetMechanismInfo(p.C_GetSessionInfo(session).slotID, 0x7ffffff0)), 'CKR_MECHANISM_INVALID');
  });
}

describe('PKCS#11 conformance', { timeout: 120_000 }, () => {
  let f: Fixture;
  let sr: Target;
  let hsm: Target | undefined;
  let hsmDir = '';
  let rsa: KeyBundle;
  let rsaPub: KeyObject;

  before(async () => {
    f = await startFixture({ config: { refresh_interval_seconds: 1 } });
    rsa = await f.createKey({ name: 'conf-rsa', kty: 'RSA' });
    rsaPub = publicKeyOf(rsa);
    await f.createKey({ name: 'conf-ec', kty: 'EC' });
    process.env['STRONGROOM_PKCS11_CONFIG'] = f.configPath;
    const p = new pkcs11js.PKCS11();
    const fresh = new pkcs11js.PKCS11();
    fresh.load(libraryPath);
    assert.equal(rv(() => fresh.C_GetInfo()), 'CKR_CRYPTOKI_NOT_INITIALIZED', 'before C_Initialize');
    p.load(libraryPath);
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    const slot = p.C_GetSlotList(true)[0]!;
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    sr = {
      name: 'strongroom', p, session,
      rsaPriv: findOne(p, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: 'conf-rsa' }]),
      rsaPub: findOne(p, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_LABEL, value: 'conf-rsa' }]),
    };
    if (softhsmPath !== undefined) hsm = softhsm();
  });

  after(async () => {
    for (const t of [sr, hsm]) {
      try { t?.p.C_Finalize(); } catch { /* already */ }
    }
    if (hsmDir !== '') rmSync(hsmDir, { recursive: true, force: true });
    await f?.stop();
  });

  function softhsm(): Target {
    hsmDir = mkdtempSync(join(tmpdir(), 'softhsm-'));
    const conf = join(hsmDir, 'softhsm2.conf');
    writeFileSync(conf, `directories.tokendir = ${hsmDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env['SOFTHSM2_CONF'] = conf;
    runOk('softhsm2-util', ['--init-token', '--free', '--label', 'reference', '--pin', '1234', '--so-pin', '1234'], process.env);
    const p = new pkcs11js.PKCS11();
    p.load(softhsmPath ?? '');
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    const slot = p.C_GetSlotList(true)[0]!;
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    p.C_Login(session, pkcs11js.CKU_USER, '1234');
    const keys = p.C_GenerateKeyPair(session, { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN }, [
      { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 }, { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_TOKEN, value: false },
    ], [{ type: pkcs11js.CKA_SIGN, value: true }, { type: pkcs11js.CKA_SENSITIVE, value: true }, { type: pkcs11js.CKA_TOKEN, value: false }]);
    return { name: 'softhsm', p, session, rsaPriv: keys.privateKey, rsaPub: keys.publicKey };
  }

  describe('Strongroom module', () => standardRules(() => sr));
  describe('SoftHSM2 (reference)', { skip: softhsmPath === undefined ? 'softhsm2 is not installed' : false }, () => standardRules(() => hsm as Target));

  describe('Strongroom specifics', () => {
    it('answers every standard attribute of private and public keys', () => {
      const { p, session, rsaPriv, rsaPub: pubHandle } = sr;
      const common = [pkcs11js.CKA_CLASS, pkcs11js.CKA_TOKEN, pkcs11js.CKA_PRIVATE, pkcs11js.CKA_MODIFIABLE, pkcs11js.CKA_LABEL,
        // CKA_START_DATE/END_DATE are present but empty (no nbf/exp); pkcs11js cannot read an empty CK_DATE.
        pkcs11js.CKA_ID, pkcs11js.CKA_KEY_TYPE, pkcs11js.CKA_LOCAL, pkcs11js.CKA_DERIVE,
        pkcs11js.CKA_KEY_GEN_MECHANISM, pkcs11js.CKA_ALLOWED_MECHANISMS, pkcs11js.CKA_SUBJECT, pkcs11js.CKA_MODULUS,
        pkcs11js.CKA_MODULUS_BITS, pkcs11js.CKA_PUBLIC_EXPONENT, 0x129 /* CKA_PUBLIC_KEY_INFO */, 0x171, 0x172, 0x4];
      const priv = [pkcs11js.CKA_SENSITIVE, pkcs11js.CKA_ALWAYS_SENSITIVE, pkcs11js.CKA_EXTRACTABLE, pkcs11js.CKA_NEVER_EXTRACTABLE,
        pkcs11js.CKA_SIGN, pkcs11js.CKA_SIGN_RECOVER, pkcs11js.CKA_DECRYPT, pkcs11js.CKA_UNWRAP, pkcs11js.CKA_ALWAYS_AUTHENTICATE, 0x210];
      const pub = [pkcs11js.CKA_ENCRYPT, pkcs11js.CKA_VERIFY, pkcs11js.CKA_VERIFY_RECOVER, pkcs11js.CKA_WRAP, pkcs11js.CKA_TRUSTED];
      const got = p.C_GetAttributeValue(session, rsaPriv, [...common, ...priv].map((type) => ({ type })));
      assert.equal(got.length, common.length + priv.length);
      p.C_GetAttributeValue(session, pubHandle, [...common, ...pub].map((type) => ({ type })));
      const [modulus, extractable, spki] = p.C_GetAttributeValue(session, rsaPriv, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: 0x129 }]);
      assert.deepEqual(modulus?.value, Buffer.from(rsa.key.n ?? '', 'base64url'));
      assert.deepEqual(extractable?.value, Buffer.from([0]), 'CKA_EXTRACTABLE = exportable (false)');
      assert.deepEqual(spki?.value, rsaPub.export({ type: 'spki', format: 'der' }));
    });

    it('keeps handles stable across refreshes and re-initialisation', async () => {
      await new Promise((r) => setTimeout(r, 1500)); // refresh_interval_seconds: 1
      const again = findOne(sr.p, sr.session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: 'conf-rsa' }]);
      assert.deepEqual(again, sr.rsaPriv);
      sr.p.C_Finalize();
      sr.p.C_Initialize();
      sr.session = sr.p.C_OpenSession(sr.p.C_GetSlotList(true)[0]!, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      const afterInit = findOne(sr.p, sr.session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: 'conf-rsa' }]);
      assert.deepEqual(afterInit, sr.rsaPriv);
    });

    it('accepts any PIN without requiring one, and refuses a second login', () => {
      const { p, session } = sr;
      p.C_Login(session, pkcs11js.CKU_USER, 'anything');
      assert.equal(rv(() => p.C_Login(session, pkcs11js.CKU_USER, 'x')), 'CKR_USER_ALREADY_LOGGED_IN');
      p.C_Logout(session);
      assert.equal(rv(() => p.C_Logout(session)), 'CKR_USER_NOT_LOGGED_IN');
    });

    it('refuses PSS and OAEP parameters the service cannot honour', () => {
      const { p, session, rsaPriv } = sr;
      const pss = (salt: number, mgf = pkcs11js.CKG_MGF1_SHA256) => ({ mechanism: pkcs11js.CKM_SHA256_RSA_PKCS_PSS,
        parameter: { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: pkcs11js.CKM_SHA256, mgf, saltLen: salt } });
      assert.equal(rv(() => p.C_SignInit(session, pss(20), rsaPriv)), 'CKR_MECHANISM_PARAM_INVALID');
      assert.equal(rv(() => p.C_SignInit(session, pss(32, pkcs11js.CKG_MGF1_SHA1), rsaPriv)), 'CKR_MECHANISM_PARAM_INVALID');
      p.C_SignInit(session, pss(32), rsaPriv);
      const sig = p.C_Sign(session, data, Buffer.alloc(256));
      assert.ok(verify('sha256', data, { key: rsaPub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig));
      const oaep = (label?: Buffer) => ({ mechanism: pkcs11js.CKM_RSA_PKCS_OAEP, parameter: { type: pkcs11js.CK_PARAMS_RSA_OAEP,
        hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, source: 1, ...(label === undefined ? {} : { sourceData: label }) } });
      assert.equal(rv(() => p.C_DecryptInit(session, oaep(Buffer.from('label')), rsaPriv)), 'CKR_MECHANISM_PARAM_INVALID');
      const ct = publicEncrypt({ key: rsaPub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('secret'));
      p.C_DecryptInit(session, oaep(), rsaPriv);
      assert.equal(rv(() => p.C_Decrypt(session, ct, Buffer.alloc(2))), 'CKR_BUFFER_TOO_SMALL');
      assert.equal(p.C_Decrypt(session, ct, Buffer.alloc(256)).toString(), 'secret', 'the kept plaintext');
      p.C_DecryptInit(session, oaep(), rsaPriv);
      const bad = Buffer.from(ct);
      bad[10] = (bad[10] ?? 0) ^ 0xff;
      assert.equal(rv(() => p.C_Decrypt(session, bad, Buffer.alloc(256))), 'CKR_ENCRYPTED_DATA_INVALID');
    });

    it('verifies with a session public key made by C_CreateObject, as Java does', () => {
      const { p, session, rsaPriv } = sr;
      const jwk = rsaPub.export({ format: 'jwk' });
      const h = p.C_CreateObject(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }, { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
        { type: pkcs11js.CKA_TOKEN, value: false }, { type: pkcs11js.CKA_MODULUS, value: Buffer.from(jwk.n ?? '', 'base64url') },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from(jwk.e ?? '', 'base64url') }]);
      p.C_SignInit(session, sha256Pkcs1, rsaPriv);
      const sig = p.C_Sign(session, data, Buffer.alloc(256));
      p.C_VerifyInit(session, sha256Pkcs1, h);
      assert.equal(p.C_Verify(session, data, sig), true);
      assert.equal(rv(() => p.C_CreateObject(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }])), 'CKR_TEMPLATE_INCONSISTENT');
      p.C_DestroyObject(session, h);
    });

    it('maps a disabled key (403) and a deleted key (404) on purpose', async () => {
      const { p, session } = sr;
      const ec = findOne(p, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: 'conf-ec' }]);
      const digest = createHash('sha256').update(data).digest();
      assert.equal((await f.rest('PATCH', '/keys/conf-ec/', { attributes: { enabled: false } })).status, 200);
      p.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, ec);
      assert.equal(rv(() => p.C_Sign(session, digest, Buffer.alloc(64))), 'CKR_KEY_FUNCTION_NOT_PERMITTED');
      assert.equal((await f.rest('DELETE', '/keys/conf-ec')).status, 200);
      p.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, ec);
      assert.equal(rv(() => p.C_Sign(session, digest, Buffer.alloc(64))), 'CKR_KEY_HANDLE_INVALID');
    });

    it('answers C_GenerateRandom from the service', () => {
      const r = sr.p.C_GenerateRandom(sr.session, Buffer.alloc(300));
      assert.equal(r.length, 300);
      assert.notDeepEqual(r.subarray(0, 64), Buffer.alloc(64));
    });
  });
});
