/**
 * Published test vectors through the service's HTTP API: one real server (child process, HTTPS, its own data
 * directory); every vector key is imported with `PUT /keys/{name}` and the vector's operation goes through
 * `POST /keys/{name}/sign|verify|encrypt|decrypt|wrapkey|unwrapkey`, so the answers are checked after JSON,
 * base64url, the schemas, key_ops, the keystore's seal/unseal and the error handler. The crypto-layer runners
 * beside this file check the same data against `src/crypto` directly.
 *
 * Through the API (vectors per family):
 * - RFC 7520 §4.1 RS256 (1): the RFC's RSA-2048 key signs the SHA-256 of the JWS signing input; byte for byte.
 * - RFC 3394 §4 (6): wrap with A128KW/A192KW/A256KW and with CKM_AES_KEY_WRAP, compare, unwrap back.
 * - RFC 5649 §6 (2): CKM_AES_KEY_WRAP_PAD, both ways.
 * - NIST SP 800-38F KW and KWP (240: the vendored subset, all of it): AE files wrap (KW with A<size>KW and
 *   CKM_AES_KEY_WRAP, KWP with CKM_AES_KEY_WRAP_PAD) and unwrap back; AD files unwrap, and their FAIL cases must
 *   answer exactly the generic crypto failure.
 * - NIST GCMVS (600): gcmDecrypt (300, pass and FAIL cases) and gcmEncryptExtIV (300) both through `decrypt`
 *   with the vector's IV, tag and AAD, since encrypt refuses a caller IV.
 * - NIST AESAVS CBCMMT and CBCGFSbox (96): ENCRYPT cases through encrypt with the vector's IV (must equal the
 *   ciphertext) and decrypt back; DECRYPT cases through decrypt.
 * - NIST FIPS 186-3 SigVer15 (30 of 36; 2048 and 3072 bits, SHA-256/384/512): the key's private parts come from
 *   the same NIST file (`nist/rsa/SigVer15_186-3-private.rsp`); RS256/384/512 verify must give the vector's
 *   result, and the 6 valid signatures are reproduced byte for byte by sign.
 * - RSA-OAEP (SHA-1), RSA Labs oaep-vect.txt (6: the 2048-bit key 10), decrypt and unwrapkey.
 * - RSA-OAEP-256, pyca oaep-sha256-sha256.txt (60: all ten keys are 2048 bits), decrypt and unwrapkey.
 * - RSA1_5, RSA Labs PKCS #1 v1.5 encryption key 15 (10: 2048 bits, `pkcs1/pkcs1v15crypt-vectors-2048.txt`),
 *   decrypt and unwrapkey (valid ciphertexts only: implicit rejection answers 200 to a bad one).
 * - ES256K, pyca secp256k1 SigGen (15): the key is imported with d; each vector signature verifies true,
 *   mutated ones and another digest false; a signature the service makes verifies in Node.
 * - ES256/ES384/ES512, NIST FIPS 186-3 SigGen (15: the first 5 cases of [P-256,SHA-256], [P-384,SHA-384] and
 *   [P-521,SHA-512], `nist/ecdsa/SigGen.txt`): the key is imported with d; each vector signature verifies true
 *   and false with one bit flipped; a signature the service makes verifies in Node with the vector's Q (R and S
 *   come from the vector's nonce k, which no operation takes, so the service's signatures are not compared).
 *
 * At the crypto layer only, and why:
 * - RFC 4231 HMAC: the keys (20, 4, 131 bytes...) are not 128/192/256 bits and the messages are not digests of
 *   the hash length, so no case fits HS256/384/512.
 * - NIST ECDSA SigVer (P-256/384/521, including its invalid cases): public keys only (no d), and the service
 *   imports private keys only; the same curves and hashes go through the API with the SigGen keys above.
 * - NIST SigVerPSS: 10-byte salts, while PS256/384/512 verify with salt = hash length (JWA).
 * - NIST SigVer15 "Public Key e changed" cases (6): the changed e has no private exponent, so no key to import.
 * - RSA Labs pss-vect.txt: SHA-1 (no PS* algorithm), and 9 of its 10 keys are under 2048 bits.
 * - RSA Labs pkcs1v15sign-vectors.txt: SHA-1 only (no RS* algorithm takes a SHA-1 digest); the vendored keys are
 *   1024 bits anyway.
 * - RSA Labs oaep-vect.txt keys 1-9 and pkcs1v15crypt-vectors.txt keys 1-2: 1024 to 1536 bits.
 * - GCM encryption with the vector's IV (gcmEncryptExtIV's ciphertext and tag): the service makes its own IV.
 */
import assert from 'node:assert/strict';
import { createHash, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { accessToken, apiClient, type RawResponse } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { hexField, parseCavs, type CavsRecord } from './parsers/cavs.ts';
import { bigIntOf, ecPrivateJwk, octJwk, rsaBits, rsaPrivateJwk, type PrivateJwk } from './parsers/jwk.ts';
import { ecPublicKey, p1363 } from './parsers/keys.ts';
import { parseRsaLabs, type RsaLabsKey } from './parsers/rsa-labs.ts';

let server: TestServer | undefined;
let api: ReturnType<typeof apiClient>;

before(async () => {
  server = await startServer();
  api = apiClient(server, await accessToken(server));
});
after(async () => {
  if (server !== undefined) await disposeServer(server);
});

/** The exact body of every failed decrypt or unwrap (docs/crypto.md, "No oracle"). */
const CRYPTO_FAILURE = '{"error":{"code":"BadParameter","message":"The cryptographic operation failed."}}';
const SERVICE_RSA_SIZES = [2048, 3072, 4096];

const b64 = (bytes: Buffer): string => bytes.toString('base64url');
const vectorFile = (path: string): URL => new URL(path, import.meta.url);
const where = (record: CavsRecord): string => `line ${record.line}`;

let keyCount = 0;

/** Imports a vector key under a fresh name; returns the name. */
async function importKey(prefix: string, jwk: PrivateJwk, keyOps: readonly string[]): Promise<string> {
  keyCount += 1;
  const name = `${prefix}-${keyCount}`;
  const response = await api.put(`/keys/${name}`, { key: { ...jwk, key_ops: keyOps } });
  assert.equal(response.status, 200, `import ${name}: ${response.text}`);
  return name;
}

type Operation = 'sign' | 'verify' | 'encrypt' | 'decrypt' | 'wrapkey' | 'unwrapkey';

function call(name: string, operation: Operation, body: Readonly<Record<string, string>>): Promise<RawResponse> {
  return api.post(`/keys/${name}/${operation}`, body);
}

/** A 200 answer's JSON; `value` must be there. */
async function succeeds(name: string, operation: Operation, body: Readonly<Record<string, string>>, label: string) {
  const response = await call(name, operation, body);
  assert.equal(response.status, 200, `${label}: ${operation} answered ${response.status} ${response.text}`);
  assert.equal(typeof response.json?.value, 'string', label);
  return response.json as { kid?: string; alg?: string; value: string; iv?: string; tag?: string };
}

async function valueOf(name: string, operation: Operation, body: Readonly<Record<string, string>>, label: string): Promise<Buffer> {
  return Buffer.from((await succeeds(name, operation, body, label)).value, 'base64url');
}

async function verifies(name: string, alg: string, digest: Buffer, signature: Buffer, label: string): Promise<boolean> {
  const response = await call(name, 'verify', { alg, digest: b64(digest), value: b64(signature) });
  assert.equal(response.status, 200, `${label}: verify answered ${response.status} ${response.text}`);
  assert.equal(typeof response.json?.value, 'boolean', label);
  return response.json.value as boolean;
}

async function failsGenerically(name: string, operation: Operation, body: Readonly<Record<string, string>>, label: string): Promise<void> {
  const response = await call(name, operation, body);
  assert.equal(response.status, 400, `${label}: ${operation} answered ${response.status} ${response.text}`);
  assert.equal(response.text, CRYPTO_FAILURE, label);
}

/** Members of an operation body, leaving out the empty ones (a vector's empty AAD means "no AAD"). */
function members(entries: Readonly<Record<string, Buffer | string>>): Record<string, string> {
  const body: Record<string, string> = {};
  for (const [member, value] of Object.entries(entries)) {
    if (typeof value === 'string') body[member] = value;
    else if (value.length > 0 || member === 'value') body[member] = b64(value);
  }
  return body;
}

describe('RFC 7520 §4.1 (RS256) through the API', () => {
  it('the imported RFC key reproduces the RFC signature byte for byte, and verifies it', async () => {
    const vector = JSON.parse(readFileSync(vectorFile('./rfc7520/4_1.rsa_v15_signature.json'), 'utf8')) as {
      input: { key: Record<string, string> };
      signing: { 'sig-input': string; sig: string };
    };
    const { kty, n, e, d, p, q, dp, dq, qi } = vector.input.key;
    const jwk = { kty, n, e, d, p, q, dp, dq, qi } as PrivateJwk;
    assert.equal(rsaBits(Buffer.from(n ?? '', 'base64url')), 2048);
    const name = await importKey('rfc7520', jwk, ['sign', 'verify']);
    const digest = createHash('sha256').update(vector.signing['sig-input'], 'ascii').digest();
    const expected = Buffer.from(vector.signing.sig, 'base64url');
    const signed = await succeeds(name, 'sign', { alg: 'RS256', value: b64(digest) }, 'RFC 7520');
    assert.equal(signed.alg, 'RS256');
    assert.match(signed.kid ?? '', new RegExp(`/keys/${name}/[0-9a-f]{32}$`));
    assert.deepEqual(Buffer.from(signed.value, 'base64url'), expected);
    assert.equal(await verifies(name, 'RS256', digest, expected, 'RFC 7520'), true);
    const altered = Buffer.from(expected);
    altered[0] = (altered[0] ?? 0) ^ 0x01;
    assert.equal(await verifies(name, 'RS256', digest, altered, 'RFC 7520 altered'), false);
  });
});

interface RfcWrapVector {
  section: string;
  kek: string;
  keyData: string;
  ciphertext: string;
}

function rfcWrapVectors(path: string): RfcWrapVector[] {
  return (JSON.parse(readFileSync(vectorFile(path), 'utf8')) as { vectors: RfcWrapVector[] }).vectors;
}

describe('RFC 3394 §4 through the API', () => {
  const vectors = rfcWrapVectors('./rfc3394/rfc3394-section-4.json');
  it('has the six RFC vectors', () => assert.equal(vectors.length, 6));
  for (const vector of vectors) {
    it(vector.section, async () => {
      const kek = Buffer.from(vector.kek, 'hex');
      const keyData = Buffer.from(vector.keyData, 'hex');
      const expected = Buffer.from(vector.ciphertext, 'hex');
      const name = await importKey('rfc3394', octJwk(kek), ['wrapKey', 'unwrapKey']);
      for (const alg of [`A${kek.length * 8}KW`, 'CKM_AES_KEY_WRAP']) {
        assert.deepEqual(await valueOf(name, 'wrapkey', { alg, value: b64(keyData) }, alg), expected, alg);
        assert.deepEqual(await valueOf(name, 'unwrapkey', { alg, value: b64(expected) }, alg), keyData, alg);
      }
    });
  }
});

describe('RFC 5649 §6 through the API', () => {
  const vectors = rfcWrapVectors('./rfc5649/rfc5649-section-6.json');
  it('has the two RFC examples', () => assert.equal(vectors.length, 2));
  for (const vector of vectors) {
    it(vector.section, async () => {
      const keyData = Buffer.from(vector.keyData, 'hex');
      const expected = Buffer.from(vector.ciphertext, 'hex');
      const name = await importKey('rfc5649', octJwk(Buffer.from(vector.kek, 'hex')), ['wrapKey', 'unwrapKey']);
      const alg = 'CKM_AES_KEY_WRAP_PAD';
      assert.deepEqual(await valueOf(name, 'wrapkey', { alg, value: b64(keyData) }, alg), expected);
      assert.deepEqual(await valueOf(name, 'unwrapkey', { alg, value: b64(expected) }, alg), keyData);
    });
  }
});

describe('NIST SP 800-38F KW and KWP through the API', () => {
  for (const prefix of ['KW', 'KWP'] as const) {
    for (const bits of [128, 192, 256]) {
      const algs = prefix === 'KW' ? [`A${bits}KW`, 'CKM_AES_KEY_WRAP'] : ['CKM_AES_KEY_WRAP_PAD'];

      it(`${prefix}-AE, AES-${bits}: wrap gives C, unwrap gives P back`, async () => {
        const records = parseCavs(vectorFile(`./nist/keywrap/${prefix}_AE_${bits}.txt`));
        assert.equal(records.length, 20);
        for (const record of records) {
          const name = await importKey('kw', octJwk(hexField(record, 'k')), ['wrapKey', 'unwrapKey']);
          const plaintext = hexField(record, 'p');
          const wrapped = hexField(record, 'c');
          for (const alg of algs) {
            const label = `${where(record)} ${alg}`;
            assert.deepEqual(await valueOf(name, 'wrapkey', { alg, value: b64(plaintext) }, label), wrapped, label);
            assert.deepEqual(await valueOf(name, 'unwrapkey', { alg, value: b64(wrapped) }, label), plaintext, label);
          }
        }
      });

      it(`${prefix}-AD, AES-${bits}: unwrap, FAIL cases answer the generic failure`, async () => {
        const records = parseCavs(vectorFile(`./nist/keywrap/${prefix}_AD_${bits}.txt`));
        assert.equal(records.length, 20);
        assert.ok(records.some((record) => record.fail));
        for (const record of records) {
          const name = await importKey('kw', octJwk(hexField(record, 'k')), ['wrapKey', 'unwrapKey']);
          for (const alg of algs) {
            const label = `${where(record)} ${alg}`;
            const body = { alg, value: b64(hexField(record, 'c')) };
            if (record.fail) await failsGenerically(name, 'unwrapkey', body, label);
            else assert.deepEqual(await valueOf(name, 'unwrapkey', body, label), hexField(record, 'p'), label);
          }
        }
      });
    }
  }
});

describe('NIST AES-GCM through decrypt', () => {
  for (const bits of [128, 192, 256]) {
    for (const file of ['gcmDecrypt', 'gcmEncryptExtIV']) {
      it(`${file}${bits}`, async () => {
        const records = parseCavs(vectorFile(`./nist/aes-gcm/${file}${bits}.rsp`));
        assert.equal(records.length, 100);
        if (file === 'gcmDecrypt') assert.ok(records.some((record) => record.fail) && records.some((record) => !record.fail));
        for (const record of records) {
          assert.equal(record.section['ivlen'], '96');
          assert.equal(record.section['taglen'], '128');
          const name = await importKey('gcm', octJwk(hexField(record, 'key')), ['decrypt']);
          const body = members({
            alg: `A${bits}GCM`,
            value: hexField(record, 'ct'),
            iv: hexField(record, 'iv'),
            tag: hexField(record, 'tag'),
            aad: hexField(record, 'aad'),
          });
          if (record.fail) await failsGenerically(name, 'decrypt', body, where(record));
          else assert.deepEqual(await valueOf(name, 'decrypt', body, where(record)), hexField(record, 'pt'), where(record));
        }
      });
    }
  }
});

describe('NIST AES-CBC through encrypt and decrypt with the vector IV', () => {
  const expectedCounts: Readonly<Record<string, number>> = {
    CBCMMT128: 20, CBCMMT192: 20, CBCMMT256: 20, CBCGFSbox128: 14, CBCGFSbox192: 12, CBCGFSbox256: 10,
  };
  for (const file of ['CBCMMT', 'CBCGFSbox']) {
    for (const bits of [128, 192, 256]) {
      it(`${file}${bits}`, async () => {
        const records = parseCavs(vectorFile(`./nist/aes-cbc/${file}${bits}.rsp`));
        assert.equal(records.length, expectedCounts[`${file}${bits}`]);
        const alg = `A${bits}CBC`;
        for (const record of records) {
          const name = await importKey('cbc', octJwk(hexField(record, 'key')), ['encrypt', 'decrypt']);
          const iv = hexField(record, 'iv');
          const plaintext = hexField(record, 'plaintext');
          const ciphertext = hexField(record, 'ciphertext');
          if ('encrypt' in record.section) {
            const encrypted = await succeeds(name, 'encrypt', { alg, value: b64(plaintext), iv: b64(iv) }, where(record));
            assert.deepEqual(Buffer.from(encrypted.value, 'base64url'), ciphertext, where(record));
            assert.deepEqual(Buffer.from(encrypted.iv ?? '', 'base64url'), iv, where(record));
          } else {
            assert.ok('decrypt' in record.section, where(record));
          }
          assert.deepEqual(
            await valueOf(name, 'decrypt', { alg, value: b64(ciphertext), iv: b64(iv) }, where(record)),
            plaintext,
            where(record),
          );
        }
      });
    }
  }
});

const RS_ALGORITHMS: Readonly<Record<string, { alg: string; hash: string }>> = {
  SHA256: { alg: 'RS256', hash: 'sha256' },
  SHA384: { alg: 'RS384', hash: 'sha384' },
  SHA512: { alg: 'RS512', hash: 'sha512' },
};

describe('NIST FIPS 186-3 SigVer15 through the API (keys completed from the same NIST file)', () => {
  it('RS256/384/512 verify gives the vector result; valid signatures are reproduced byte for byte', async () => {
    const privateParts = parseCavs(vectorFile('./nist/rsa/SigVer15_186-3-private.rsp'));
    assert.equal(privateParts.length, 2);
    const records = parseCavs(vectorFile('./nist/rsa/SigVer15_186-3.rsp'));
    let key: { name: string; e: bigint } | undefined;
    let verified = 0;
    let signed = 0;
    let eChanged = 0;
    for (const record of records) {
      if (record.fields['n'] !== undefined) {
        const n = hexField(record, 'n');
        const parts = privateParts.find((candidate) => hexField(candidate, 'n').equals(n));
        assert.ok(parts !== undefined, `${where(record)}: no private parts for this modulus`);
        const e = hexField(parts, 'e');
        const jwk = rsaPrivateJwk({ n, e, d: hexField(parts, 'd'), p: hexField(parts, 'p'), q: hexField(parts, 'q') });
        assert.ok(SERVICE_RSA_SIZES.includes(rsaBits(n)));
        key = { name: await importKey('sigver15', jwk, ['sign', 'verify']), e: bigIntOf(e) };
        continue;
      }
      const scheme = RS_ALGORITHMS[record.fields['shaalg'] ?? ''];
      assert.ok(scheme !== undefined && key !== undefined, `${where(record)}: unexpected record`);
      const result = record.fields['result'] ?? '';
      if (bigIntOf(hexField(record, 'e')) !== key.e) {
        // "Public Key e changed": a public key with no private counterpart; crypto layer only.
        assert.match(result, /^F \(2 - Public Key e changed/, where(record));
        eChanged += 1;
        continue;
      }
      const digest = createHash(scheme.hash).update(hexField(record, 'msg')).digest();
      const signature = hexField(record, 's');
      const label = `${where(record)}: ${result}`;
      assert.equal(await verifies(key.name, scheme.alg, digest, signature, label), result.startsWith('P'), label);
      verified += 1;
      if (result.startsWith('P')) {
        assert.deepEqual(await valueOf(key.name, 'sign', { alg: scheme.alg, value: b64(digest) }, label), signature, label);
        signed += 1;
      }
    }
    assert.deepEqual({ verified, signed, eChanged }, { verified: 30, signed: 6, eChanged: 6 });
  });
});

describe('RSA decryption vectors through decrypt and unwrapkey', () => {
  const suites = [
    { alg: 'RSA-OAEP', file: './pkcs1/oaep-vect.txt', total: 60, throughApi: 6 },
    { alg: 'RSA-OAEP-256', file: './pyca/rsa-oaep-sha256/oaep-sha256-sha256.txt', total: 60, throughApi: 60 },
    { alg: 'RSA1_5', file: './pkcs1/pkcs1v15crypt-vectors-2048.txt', total: 10, throughApi: 10 },
  ] as const;
  for (const { alg, file, total, throughApi } of suites) {
    it(`${alg}: ${file.split('/').pop() ?? file} (keys of 2048 bits and more)`, async () => {
      const cases = parseRsaLabs(vectorFile(file));
      assert.equal(cases.length, total);
      const names = new Map<RsaLabsKey, string>();
      let checked = 0;
      for (const vector of cases) {
        if (!SERVICE_RSA_SIZES.includes(rsaBits(vector.key.n))) continue;
        let name = names.get(vector.key);
        if (name === undefined) {
          name = await importKey('rsa-dec', rsaPrivateJwk(vector.key), ['decrypt', 'unwrapKey']);
          names.set(vector.key, name);
        }
        const body = { alg, value: b64(vector.output) };
        assert.deepEqual(await valueOf(name, 'decrypt', body, vector.name), vector.message, vector.name);
        assert.deepEqual(await valueOf(name, 'unwrapkey', body, vector.name), vector.message, vector.name);
        checked += 1;
      }
      assert.equal(checked, throughApi);
    });
  }
});

/** Same-length alterations of a valid r||s signature; each must verify false. */
function alterations(signature: Buffer, half: number): Buffer[] {
  const flipped = (index: number): Buffer => {
    const copy = Buffer.from(signature);
    copy[index] = (copy[index] ?? 0) ^ 0x01;
    return copy;
  };
  const r = signature.subarray(0, half);
  const s = signature.subarray(half);
  return [flipped(0), flipped(half - 1), flipped(half), flipped(2 * half - 1), Buffer.concat([s, r]), Buffer.concat([r, Buffer.alloc(half)])];
}

describe('secp256k1 (P-256K, ES256K) pyca SigGen through the API', () => {
  it('imported keys verify every vector signature; altered signatures and another digest are false', async () => {
    const records = parseCavs(vectorFile('./pyca/ecdsa-secp256k1/SigGen.txt'));
    assert.equal(records.length, 15);
    for (const record of records) {
      const [d, x, y] = [hexField(record, 'd'), hexField(record, 'qx'), hexField(record, 'qy')];
      const name = await importKey('secp256k1', ecPrivateJwk('P-256K', d, x, y), ['sign', 'verify']);
      const message = hexField(record, 'msg');
      const digest = createHash('sha256').update(message).digest();
      const signature = p1363(hexField(record, 'r'), hexField(record, 's'), 32);
      assert.equal(await verifies(name, 'ES256K', digest, signature, where(record)), true, where(record));
      for (const altered of alterations(signature, 32)) {
        assert.equal(await verifies(name, 'ES256K', digest, altered, where(record)), false, where(record));
      }
      const otherDigest = createHash('sha256').update(message).update('x').digest();
      assert.equal(await verifies(name, 'ES256K', otherDigest, signature, where(record)), false, where(record));
      // The imported private key signs: Node verifies the service's signature over the message with the vector's Q.
      const made = await valueOf(name, 'sign', { alg: 'ES256K', value: b64(digest) }, where(record));
      const publicKey = ecPublicKey('P-256K', x, y);
      assert.ok(nodeVerify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, made), where(record));
    }
  });
});

const ES_SECTIONS = [
  { section: 'p-256,sha-256', curve: 'P-256', alg: 'ES256', hash: 'sha256', half: 32 },
  { section: 'p-384,sha-384', curve: 'P-384', alg: 'ES384', hash: 'sha384', half: 48 },
  { section: 'p-521,sha-512', curve: 'P-521', alg: 'ES512', hash: 'sha512', half: 66 },
] as const;

describe('NIST FIPS 186-3 ECDSA SigGen (ES256/384/512) through the API', () => {
  const records = parseCavs(vectorFile('./nist/ecdsa/SigGen.txt'));
  it('has five cases for each curve and hash', () => assert.equal(records.length, 15));
  for (const { section, curve, alg, hash, half } of ES_SECTIONS) {
    it(`[${section.toUpperCase()}]: the vector signature verifies, one flipped bit does not, sign verifies in Node`, async () => {
      const cases = records.filter((record) => section in record.section);
      assert.equal(cases.length, 5);
      for (const [index, record] of cases.entries()) {
        const [d, x, y] = [hexField(record, 'd'), hexField(record, 'qx'), hexField(record, 'qy')];
        const name = await importKey(alg.toLowerCase(), ecPrivateJwk(curve, d, x, y), ['sign', 'verify']);
        const message = hexField(record, 'msg');
        const digest = createHash(hash).update(message).digest();
        const signature = p1363(hexField(record, 'r'), hexField(record, 's'), half);
        assert.equal(signature.length, 2 * half, where(record));
        assert.equal(await verifies(name, alg, digest, signature, where(record)), true, where(record));
        // One flipped bit, in the last byte of r or of s (alternately), keeps the value in range but breaks it.
        const altered = Buffer.from(signature);
        const at = index % 2 === 0 ? half - 1 : 2 * half - 1;
        altered[at] = (altered[at] ?? 0) ^ 0x01;
        assert.equal(await verifies(name, alg, digest, altered, `${where(record)} flipped`), false, where(record));
        // ECDSA is randomized: the service's signature is checked by Node with the vector's Q, not compared.
        const made = await succeeds(name, 'sign', { alg, value: b64(digest) }, where(record));
        assert.equal(made.alg, alg, where(record));
        const madeSignature = Buffer.from(made.value, 'base64url');
        assert.equal(madeSignature.length, 2 * half, where(record));
        const publicKey = ecPublicKey(curve, x, y);
        assert.ok(nodeVerify(hash, message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, madeSignature), where(record));
      }
    });
  }
});
