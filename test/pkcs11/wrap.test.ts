/**
 * C_WrapKey and C_UnwrapKey with CKM_RSA_AES_KEY_WRAP (docs/pkcs11.md, docs/cloud-hsm-keys.md), with two real
 * servers A and B behind one module configuration (slot 0 → A, slot 1 → B):
 *
 *   move      an exportable EC key and an AES key of A, wrapped with C_WrapKey for B's key-exchange key (its public
 *             key read from slot 1 and made a session object in slot 0), unwrapped into B with C_UnwrapKey: B's
 *             key signs what A's public key verifies, decrypts what A encrypts
 *   trusted   a wrapWithTrusted key wraps only for a trusted key-exchange key of its own instance (CKR_KEY_NOT_WRAPPABLE
 *             for an untrusted one) and unwraps back into A under another name
 *   outside   a wrap for an outside RSA key (node:crypto's) opens with node:crypto to the key's PKCS#8
 *   two-call  a length query, then a short buffer (CKR_BUFFER_TOO_SMALL, the result kept), then the real call:
 *             one export in A's audit log
 *   refusals  CKR_KEY_UNEXTRACTABLE (non-exportable), CKR_WRAPPING_KEY_TYPE_INCONSISTENT (a wrapping key that may
 *             not wrap), CKR_MECHANISM_PARAM_INVALID (AES size, OAEP label, SHA-512, no OAEP parameters), unwrap
 *             refusals; CKA_TRUSTED / CKA_WRAP_WITH_TRUSTED / CKA_EXTRACTABLE as the service reports them
 *
 * pkcs11js cannot pass CK_RSA_AES_KEY_WRAP_PARAMS (it points to the OAEP parameters), so the wraps and unwraps with
 * parameters go through helpers/rsa-aes-wrap.c, a small C driver of the same module; pkcs11js checks the
 * attributes, the mechanism information and the parameters it can express.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  constants, createDecipheriv, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt, verify,
} from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pkcs11js from 'pkcs11js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { libraryPath, startFixture, versionOf, type Fixture, type KeyBundle } from './helpers/fixture.ts';
import { publicKeyOf } from './helpers/run.ts';

const CKM_RSA_AES_KEY_WRAP = 0x1054;
const POLICY = {
  data: Buffer.from(JSON.stringify({ version: '1.0.0', anyOf: [{ authority: 'https://attest.localhost', allOf: [{ claim: 'x', equals: 'y' }] }] })).toString('base64url'),
};

let a: Fixture;
let b: Fixture;
let driver: string;
let config: string;
const bundles: Record<string, KeyBundle> = {};

type Answer = { rv?: string; len?: number; hex?: string; handle?: number; session?: number };

/** Runs driver commands (one module process); the answers, one per command. */
function drive(commands: string[]): Answer[] {
  const r = spawnSync(driver, [libraryPath], { input: commands.join('\n') + '\n', encoding: 'utf8', timeout: 120_000, env: { ...process.env, STRONGROOM_PKCS11_CONFIG: config } });
  assert.equal(r.status, 0, `driver exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  const answers = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as Answer);
  assert.equal(answers.length, commands.length, r.stdout);
  return answers;
}

async function ok<T>(answer: Promise<{ status: number; body: T }>): Promise<T> {
  const got = await answer;
  assert.equal(got.status, 200, JSON.stringify(got.body));
  return got.body;
}

async function make(f: Fixture, name: string, body: object): Promise<KeyBundle> {
  bundles[name] = await ok(f.rest<KeyBundle>('POST', `/keys/${name}/create`, body));
  return bundles[name]!;
}

const exportable = (kty: object) => ({ ...kty, attributes: { exportable: true, wrapWithTrusted: false }, release_policy: POLICY });

async function exportsOf(f: Fixture, name: string): Promise<number> {
  const store = new SqliteStore(join(f.server.dataDir, 'strongroom.db'));
  try {
    const records = await store.reader.audit.queryAuditRecords({ limit: 10_000 });
    return records.filter((r) => r.kind === 'event').map((r) => JSON.parse(r.body))
      .filter((e) => e.operationName === 'KeyExport' && e.resultSignature === 'OK' && String(e.properties?.id ?? '').startsWith(`/keys/${name}/`)).length;
  } finally {
    await store.close();
  }
}

describe('C_WrapKey / C_UnwrapKey with CKM_RSA_AES_KEY_WRAP', { timeout: 240_000 }, () => {
  before(async () => {
    [a, b] = await Promise.all([startFixture(), startFixture()]);
    await Promise.all([
      make(a, 'ec-out', exportable({ kty: 'EC', crv: 'P-256', key_ops: ['sign', 'verify'] })),
      make(a, 'aes-out', exportable({ kty: 'oct', key_size: 256, key_ops: ['encrypt', 'decrypt'] })),
      make(a, 'rsa-out', exportable({ kty: 'RSA', key_size: 2048 })),
      make(a, 'locked', { kty: 'EC', crv: 'P-256' }),
      make(a, 'guarded', { kty: 'EC', crv: 'P-256', attributes: { exportable: true }, release_policy: POLICY }),
      make(a, 'a-kek', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['import'] }),
      make(a, 'a-kek-trusted', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['import'] }),
      make(a, 'a-signer', { kty: 'RSA', key_size: 2048, key_ops: ['sign', 'verify'] }),
      make(b, 'b-kek', { kty: 'RSA-HSM', key_size: 3072, key_ops: ['import'] }),
    ]);
    const trustedVersion = versionOf(bundles['a-kek-trusted']!.key.kid);
    const marked = await ok(a.rest<{ attributes: { trusted?: boolean } }>('PATCH', `/keys/a-kek-trusted/${trustedVersion}`, { attributes: { trusted: true } }));
    assert.equal(marked.attributes.trusted, true);
    driver = join(a.dir, 'rsa-aes-wrap');
    execFileSync('cc', ['-std=c11', '-D_GNU_SOURCE', '-Wall', '-Wextra', '-o', driver, join(import.meta.dirname, 'helpers', 'rsa-aes-wrap.c'), '-ldl']);
    config = join(a.dir, 'two-slots.json');
    writeFileSync(config, JSON.stringify({
      refresh_interval_seconds: 300,
      timeout_seconds: 10,
      slots: [
        { label: 'A', url: a.server.url(), ca_file: a.caPath, credentials_file: a.credentialsPath },
        { label: 'B', url: b.server.url(), ca_file: b.caPath, credentials_file: b.credentialsPath },
      ],
    }));
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  describe('through pkcs11js: attributes, mechanism information, parameters', () => {
    let p: pkcs11js.PKCS11;
    let session: Buffer;
    const find = (cls: number, label: string): Buffer => {
      p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: cls }, { type: pkcs11js.CKA_LABEL, value: label }]);
      const found = p.C_FindObjects(session, 2);
      p.C_FindObjectsFinal(session);
      assert.equal(found.length, 1, label);
      return found[0]!;
    };
    const bool = (h: Buffer, type: number): boolean => p.C_GetAttributeValue(session, h, [{ type }])[0]!.value![0] === 1;
    const rv = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message.startsWith('CKR_')) return message.split(':')[0] ?? message;
        throw error;
      }
      return 'CKR_OK';
    };

    before(() => {
      p = new pkcs11js.PKCS11();
      p.load(libraryPath);
      process.env['STRONGROOM_PKCS11_CONFIG'] = config;
      p.C_Initialize();
      session = p.C_OpenSession(p.C_GetSlotList(true)[0]!, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    });
    after(() => {
      p?.C_Finalize();
      delete process.env['STRONGROOM_PKCS11_CONFIG'];
    });

    it('reads CKA_TRUSTED, CKA_WRAP_WITH_TRUSTED and CKA_EXTRACTABLE from the service', () => {
      assert.equal(bool(find(pkcs11js.CKO_PUBLIC_KEY, 'a-kek-trusted'), pkcs11js.CKA_TRUSTED), true, 'marked trusted by PATCH');
      assert.equal(bool(find(pkcs11js.CKO_PUBLIC_KEY, 'a-kek'), pkcs11js.CKA_TRUSTED), false);
      assert.equal(bool(find(pkcs11js.CKO_PRIVATE_KEY, 'guarded'), pkcs11js.CKA_WRAP_WITH_TRUSTED), true, 'the service default');
      assert.equal(bool(find(pkcs11js.CKO_PRIVATE_KEY, 'ec-out'), pkcs11js.CKA_WRAP_WITH_TRUSTED), false);
      assert.equal(bool(find(pkcs11js.CKO_SECRET_KEY, 'aes-out'), pkcs11js.CKA_WRAP_WITH_TRUSTED), false);
      assert.equal(bool(find(pkcs11js.CKO_PRIVATE_KEY, 'ec-out'), pkcs11js.CKA_EXTRACTABLE), true);
      assert.equal(bool(find(pkcs11js.CKO_PRIVATE_KEY, 'locked'), pkcs11js.CKA_EXTRACTABLE), false);
      assert.equal(bool(find(pkcs11js.CKO_PRIVATE_KEY, 'locked'), pkcs11js.CKA_NEVER_EXTRACTABLE), true);
      // A key-exchange key (key_ops ["import"]) wraps and unwraps by RSA-AES; a signing key does neither.
      assert.equal(bool(find(pkcs11js.CKO_PUBLIC_KEY, 'a-kek'), pkcs11js.CKA_WRAP), true);
      assert.equal(bool(find(pkcs11js.CKO_PRIVATE_KEY, 'a-kek'), pkcs11js.CKA_UNWRAP), true);
      assert.equal(bool(find(pkcs11js.CKO_PUBLIC_KEY, 'a-signer'), pkcs11js.CKA_WRAP), false);
      const allowed = p.C_GetAttributeValue(session, find(pkcs11js.CKO_PUBLIC_KEY, 'a-kek'), [{ type: pkcs11js.CKA_ALLOWED_MECHANISMS }])[0]!.value!;
      const mechs = Array.from({ length: allowed.length / 8 }, (_, i) => Number(allowed.readBigUInt64LE(i * 8)));
      assert.ok(mechs.includes(CKM_RSA_AES_KEY_WRAP), `CKA_ALLOWED_MECHANISMS ${mechs.map((m) => m.toString(16))}`);
    });

    it('announces CKM_RSA_AES_KEY_WRAP with CKF_WRAP and CKF_UNWRAP', () => {
      const slot = p.C_GetSlotList(true)[0]!;
      assert.ok(p.C_GetMechanismList(slot).includes(CKM_RSA_AES_KEY_WRAP));
      const info = p.C_GetMechanismInfo(slot, CKM_RSA_AES_KEY_WRAP);
      assert.ok((info.flags & pkcs11js.CKF_WRAP) !== 0 && (info.flags & pkcs11js.CKF_UNWRAP) !== 0, `flags 0x${info.flags.toString(16)}`);
      assert.ok((info.flags & (pkcs11js.CKF_ENCRYPT | pkcs11js.CKF_SIGN)) === 0);
    });

    it('refuses parameters that are not CK_RSA_AES_KEY_WRAP_PARAMS, and other mechanisms', () => {
      const wk = find(pkcs11js.CKO_PUBLIC_KEY, 'a-kek');
      const key = find(pkcs11js.CKO_PRIVATE_KEY, 'ec-out');
      const out = Buffer.alloc(4096);
      assert.equal(rv(() => p.C_WrapKey(session, { mechanism: CKM_RSA_AES_KEY_WRAP }, wk, key, out)), 'CKR_MECHANISM_PARAM_INVALID');
      assert.equal(rv(() => p.C_WrapKey(session, { mechanism: CKM_RSA_AES_KEY_WRAP, parameter: Buffer.alloc(8) }, wk, key, out)), 'CKR_MECHANISM_PARAM_INVALID');
      const noOaep = Buffer.alloc(16);
      noOaep.writeBigUInt64LE(256n, 0); // ulAESKeyBits 256, pOAEPParams NULL
      assert.equal(rv(() => p.C_WrapKey(session, { mechanism: CKM_RSA_AES_KEY_WRAP, parameter: noOaep }, wk, key, out)), 'CKR_MECHANISM_PARAM_INVALID');
      assert.equal(rv(() => p.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP }, wk, key, out)), 'CKR_MECHANISM_INVALID');
      assert.equal(rv(() => p.C_WrapKey(session, { mechanism: pkcs11js.CKM_RSA_PKCS_OAEP, parameter: { type: pkcs11js.CK_PARAMS_RSA_OAEP, hashAlg: pkcs11js.CKM_SHA_1, mgf: pkcs11js.CKG_MGF1_SHA1, source: 1 } as pkcs11js.RsaOAEP }, wk, key, out)), 'CKR_MECHANISM_INVALID');
    });
  });

  describe('through the C driver', () => {
    /** Driver commands; `@I` in a command is command I's handle, `#I` its hex. */
    class Script {
      readonly commands: string[] = [];
      add(command: string): number {
        this.commands.push(command);
        return this.commands.length - 1;
      }
      run(): Answer[] {
        return drive(this.commands);
      }
    }
    /** Sessions on A (slot 0) and B (slot 1), and B's key-exchange key as a session public key of A's slot. */
    function start(): { s: Script; bKek: number; bKekPriv: number } {
      const s = new Script();
      s.add('open 0');
      s.add('open 1');
      const pub = s.add('find 1 public b-kek');
      const bKekPriv = s.add('find 1 private b-kek');
      const bKek = s.add(`copypub 1 @${pub} 0 b-kek`);
      return { s, bKek, bKekPriv };
    }

    it('moves an EC key from A to B through PKCS#11 alone: length query, short buffer, then one export', async () => {
      const exportsBefore = await exportsOf(a, 'ec-out');
      const { s, bKek } = start();
      const key = s.add('find 0 private ec-out');
      const query = s.add(`wrap 0 sha1 256 - @${bKek} @${key} -1`);
      const answers1 = s.run();
      const need = answers1[query]!;
      assert.equal(need.rv, 'CKR_OK', JSON.stringify(need));
      // RSA-OAEP under B's 3072-bit key, then RFC 5649 of the key's PKCS#8 (whole semiblocks).
      assert.ok(need.len! > 384 + 16 && (need.len! - 384) % 8 === 0, `length ${need.len}`);

      const t = start();
      const k2 = t.s.add('find 0 private ec-out');
      const q = t.s.add(`wrap 0 sha1 256 - @${t.bKek} @${k2} -1`);
      const short = t.s.add(`wrap 0 sha1 256 - @${t.bKek} @${k2} ${need.len! - 1}`);
      const real = t.s.add(`wrap 0 sha1 256 - @${t.bKek} @${k2} ${need.len!}`);
      const unwrapped = t.s.add(`unwrap 1 sha1 256 @${t.bKekPriv} #${real} ec ec-moved`);
      const answers = t.s.run();
      assert.deepEqual([answers[q]!.rv, answers[q]!.len], ['CKR_OK', need.len]);
      assert.deepEqual([answers[short]!.rv, answers[short]!.len], ['CKR_BUFFER_TOO_SMALL', need.len], 'the needed length is reported');
      assert.deepEqual([answers[real]!.rv, answers[real]!.len], ['CKR_OK', need.len], 'the short buffer kept the result');
      assert.equal(answers[real]!.hex!.length, 2 * need.len!);
      assert.equal(answers[unwrapped]!.rv, 'CKR_OK', JSON.stringify(answers[unwrapped]));
      // The audit record is written as the answer goes out: wait for both, then make sure no third one follows.
      const want = exportsBefore + 2;
      for (let tries = 0; tries < 50 && await exportsOf(a, 'ec-out') < want; tries++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await exportsOf(a, 'ec-out'), want, 'one export per process: the length query and the short buffer made no call');

      // B's copy is A's key: same public key, and what B signs A's public key verifies.
      const moved = await ok(b.rest<KeyBundle>('GET', '/keys/ec-moved'));
      const original = bundles['ec-out']!;
      assert.deepEqual([moved.key.x, moved.key.y], [original.key.x, original.key.y]);
      assert.deepEqual([...(moved.key.key_ops ?? [])].sort(), ['sign', 'verify']);
      const digest = createHash('sha256').update('moved by PKCS#11').digest();
      const signed = await ok(b.rest<{ value: string }>('POST', '/keys/ec-moved/sign', { alg: 'ES256', value: digest.toString('base64url') }));
      assert.ok(verify('sha256', Buffer.from('moved by PKCS#11'), { key: publicKeyOf(original), dsaEncoding: 'ieee-p1363' }, Buffer.from(signed.value, 'base64url')));
    });

    it('moves an AES key from A to B with the SHA-256 wrap (RSA_AES_KEY_WRAP_256): B decrypts what A encrypts', async () => {
      const { s, bKek, bKekPriv } = start();
      const key = s.add('find 0 secret aes-out');
      const wrapped = s.add(`wrap 0 sha256 256 - @${bKek} @${key} 4096`);
      const wrongLen = s.add(`unwrap 1 sha256 256 @${bKekPriv} #${wrapped} aes aes-never 16`);
      const unwrapped = s.add(`unwrap 1 sha256 256 @${bKekPriv} #${wrapped} aes aes-moved 32`);
      const answers = s.run();
      assert.equal(answers[wrapped]!.rv, 'CKR_OK');
      assert.equal(answers[wrapped]!.len, 384 + 40, 'RSA-OAEP (3072 bits) ‖ RFC 5649 of 32 bytes');
      assert.equal(answers[wrongLen]!.rv, 'CKR_TEMPLATE_INCONSISTENT', 'CKA_VALUE_LEN 16 for a wrapped 32-byte key');
      assert.equal(answers[unwrapped]!.rv, 'CKR_OK', JSON.stringify(answers[unwrapped]));
      const iv = Buffer.alloc(16, 7).toString('base64url');
      const sealed = await ok(a.rest<{ value: string }>('POST', '/keys/aes-out/encrypt', { alg: 'A256CBCPAD', value: Buffer.from('same AES key').toString('base64url'), iv }));
      const opened = await ok(b.rest<{ value: string }>('POST', '/keys/aes-moved/decrypt', { alg: 'A256CBCPAD', value: sealed.value, iv }));
      assert.equal(Buffer.from(opened.value, 'base64url').toString(), 'same AES key');
      assert.equal((await b.rest('GET', '/keys/aes-never')).status, 404, 'nothing was imported for the inconsistent template');
    });

    it('wraps a wrapWithTrusted key only for a trusted key-exchange key of its own instance, and unwraps it back there', async () => {
      const s = new Script();
      s.add('open 0');
      const key = s.add('find 0 private guarded');
      const untrusted = s.add('find 0 public a-kek');
      const trusted = s.add('find 0 public a-kek-trusted');
      const trustedPriv = s.add('find 0 private a-kek-trusted');
      const refused = s.add(`wrap 0 sha1 256 - @${untrusted} @${key} 4096`);
      const wrapped = s.add(`wrap 0 sha384 256 - @${trusted} @${key} 4096`);
      const unwrapped = s.add(`unwrap 0 sha384 256 @${trustedPriv} #${wrapped} ec guarded-copy`);
      const signer = s.add('find 0 private a-signer');
      const notKek = s.add(`unwrap 0 sha384 256 @${signer} #${wrapped} ec never`);
      const answers = s.run();
      assert.equal(answers[refused]!.rv, 'CKR_KEY_NOT_WRAPPABLE');
      assert.equal(answers[wrapped]!.rv, 'CKR_OK');
      assert.equal(answers[unwrapped]!.rv, 'CKR_OK', JSON.stringify(answers[unwrapped]));
      assert.equal(answers[notKek]!.rv, 'CKR_KEY_FUNCTION_NOT_PERMITTED', 'only a key-exchange key imports');
      const copy = await ok(a.rest<KeyBundle>('GET', '/keys/guarded-copy'));
      assert.deepEqual([copy.key.x, copy.key.y], [bundles['guarded']!.key.x, bundles['guarded']!.key.y]);
    });

    it('wraps for an outside RSA public key, and node:crypto opens the wrap to the key\'s PKCS#8', () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const jwk = publicKey.export({ format: 'jwk' });
      const hex = (b64: string) => Buffer.from(b64, 'base64url').toString('hex');
      const s = new Script();
      s.add('open 0');
      const outside = s.add(`pubkey 0 ${hex(jwk.n!)} ${hex(jwk.e!)} urn:outside:kek`);
      const key = s.add('find 0 private rsa-out');
      const wrapped = s.add(`wrap 0 sha256 256 - @${outside} @${key} 4096`);
      const guarded = s.add('find 0 private guarded');
      const refused = s.add(`wrap 0 sha256 256 - @${outside} @${guarded} 4096`);
      const answers = s.run();
      assert.equal(answers[wrapped]!.rv, 'CKR_OK');
      assert.equal(answers[refused]!.rv, 'CKR_KEY_NOT_WRAPPABLE', 'a wrapWithTrusted key never goes to an outside key');
      const ciphertext = Buffer.from(answers[wrapped]!.hex!, 'hex');
      const aesKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, ciphertext.subarray(0, 256));
      assert.equal(aesKey.length, 32);
      const decipher = createDecipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
      const pkcs8 = Buffer.concat([decipher.update(ciphertext.subarray(256)), decipher.final()]);
      const recovered = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
      assert.equal(recovered.n, bundles['rsa-out']!.key.n);
    });

    it('refuses a non-exportable key, a wrapping key that may not wrap, and parameters the service cannot honour', () => {
      const s = new Script();
      s.add('open 0');
      const kek = s.add('find 0 public a-kek');
      const kekPriv = s.add('find 0 private a-kek');
      const signer = s.add('find 0 public a-signer');
      const locked = s.add('find 0 private locked');
      const ec = s.add('find 0 private ec-out');
      const checks: Array<[number, string, string]> = [
        [s.add(`wrap 0 sha1 256 - @${kek} @${locked} 4096`), 'CKR_KEY_UNEXTRACTABLE', 'non-exportable'],
        [s.add(`wrap 0 sha1 256 - @${signer} @${ec} 4096`), 'CKR_WRAPPING_KEY_TYPE_INCONSISTENT', 'key_ops without wrapKey or import'],
        [s.add(`wrap 0 sha1 256 - @${kekPriv} @${ec} 4096`), 'CKR_WRAPPING_KEY_TYPE_INCONSISTENT', 'a private key does not wrap'],
        [s.add(`wrap 0 sha1 256 - @${ec} @${ec} 4096`), 'CKR_WRAPPING_KEY_TYPE_INCONSISTENT', 'an EC key does not wrap'],
        [s.add(`wrap 0 sha1 256 - 12345 @${ec} 4096`), 'CKR_WRAPPING_KEY_HANDLE_INVALID', 'no such wrapping key'],
        [s.add(`wrap 0 sha1 256 - @${kek} 12345 4096`), 'CKR_KEY_HANDLE_INVALID', 'no such key'],
        [s.add(`wrap 0 sha1 128 - @${kek} @${ec} 4096`), 'CKR_MECHANISM_PARAM_INVALID', 'AES-128'],
        [s.add(`wrap 0 sha1 192 - @${kek} @${ec} 4096`), 'CKR_MECHANISM_PARAM_INVALID', 'AES-192'],
        [s.add(`wrap 0 sha512 256 - @${kek} @${ec} 4096`), 'CKR_MECHANISM_PARAM_INVALID', 'SHA-512'],
        [s.add(`wrap 0 sha1 256 label @${kek} @${ec} 4096`), 'CKR_MECHANISM_PARAM_INVALID', 'an OAEP label'],
        [s.add(`wrap 0 null 256 - @${kek} @${ec} 4096`), 'CKR_MECHANISM_PARAM_INVALID', 'no OAEP parameters'],
      ];
      const good = s.add(`wrap 0 sha1 256 - @${kek} @${ec} 4096`);
      checks.push(
        [s.add(`unwrap 0 sha1 256 @${kekPriv} 00 ec never`), 'CKR_WRAPPED_KEY_LEN_RANGE', 'too short'],
        [s.add(`unwrap 0 sha1 256 @${kek} #${good} ec never`), 'CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT', 'a public key'],
        [s.add(`unwrap 0 sha1 512 @${kekPriv} #${good} ec never`), 'CKR_MECHANISM_PARAM_INVALID', 'ulAESKeyBits 512'],
        [s.add(`unwrap 0 sha256 256 @${kekPriv} #${good} ec never`), 'CKR_WRAPPED_KEY_INVALID', 'OAEP-SHA-256 does not open a SHA-1 wrap'],
        [s.add(`unwrap 0 sha1 256 @${kekPriv} #${good} rsa never`), 'CKR_WRAPPED_KEY_INVALID', 'an EC key is not RSA'],
        [s.add(`unwrap 0 sha1 256 @${kekPriv} #${good} aes never`), 'CKR_WRAPPED_KEY_LEN_RANGE', 'not the wrap of an AES key'],
      );
      const answers = s.run();
      assert.equal(answers[good]!.rv, 'CKR_OK');
      for (const [i, want, why] of checks) assert.equal(answers[i]!.rv, want, `${why}: ${s.commands[i]!.slice(0, 80)}`);
    });
  });
});
