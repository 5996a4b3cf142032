/**
 * RSA-AES key wrap (CKM_RSA_AES_KEY_WRAP and its SHA-256/384 variants) and the key transfer blob, checked
 * against the `openssl` command line in both directions (test/helpers/openssl-byok.ts): what openssl wraps,
 * rsaAesKeyUnwrap opens; what rsaAesKeyWrap makes, openssl opens. Truncated, corrupt and misdirected
 * ciphertexts all fail with the one generic crypto error. The blob parser takes base64, base64url and raw JSON.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CRYPTO_OPERATION_FAILED_MESSAGE, isCryptoError } from '../../../src/crypto/crypto-error.ts';
import { rsaAesKeyUnwrap, rsaAesKeyWrap, type RsaAesKeyWrapAlgorithm } from '../../../src/crypto/rsa-aes-key-wrap.ts';
import { buildTransferBlob, encodeTransferBlob, parseTransferBlob } from '../../../src/domain/keys/key-transfer-blob.ts';
import { opensslRsaAesUnwrap, opensslRsaAesWrap, type OaepDigest } from '../../helpers/openssl-byok.ts';

const rsa = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength });
const kek2048 = rsa(2048);
const kek3072 = rsa(3072);
const pem = {
  public: (key: typeof kek2048) => key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  private: (key: typeof kek2048) => key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};

const VARIANTS: [RsaAesKeyWrapAlgorithm, OaepDigest][] = [
  ['CKM_RSA_AES_KEY_WRAP', 'sha1'],
  ['RSA_AES_KEY_WRAP_256', 'sha256'],
  ['RSA_AES_KEY_WRAP_384', 'sha384'],
];

async function rejectsGenerically(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isCryptoError(error) && error.message === CRYPTO_OPERATION_FAILED_MESSAGE);
}

describe('RSA-AES key wrap against the openssl CLI', () => {
  for (const [algorithm, digest] of VARIANTS) {
    it(`${algorithm}: opens what openssl wraps (payloads of 16, 32 and 1217 bytes)`, async () => {
      for (const payload of [randomBytes(16), randomBytes(32), randomBytes(1217)]) {
        const ciphertext = opensslRsaAesWrap(pem.public(kek2048), payload, digest);
        assert.deepEqual(await rsaAesKeyUnwrap(kek2048.privateKey, algorithm, ciphertext), payload);
      }
    });

    it(`${algorithm}: openssl opens what it wraps`, () => {
      const payload = randomBytes(200);
      const ciphertext = rsaAesKeyWrap(kek3072.publicKey, algorithm, payload);
      assert.equal(ciphertext.length, 384 + Math.ceil(200 / 8) * 8 + 8);
      assert.deepEqual(opensslRsaAesUnwrap(pem.private(kek3072), ciphertext, digest), payload);
    });
  }

  it('truncated, corrupt, misdirected or wrong-variant ciphertexts fail with the one generic error', async () => {
    const ciphertext = opensslRsaAesWrap(pem.public(kek2048), randomBytes(32));
    const flipped = (at: number) => { const copy = Buffer.from(ciphertext); copy[at] = (copy[at] ?? 0) ^ 1; return copy; };
    await rejectsGenerically(rsaAesKeyUnwrap(kek2048.privateKey, 'CKM_RSA_AES_KEY_WRAP', ciphertext.subarray(0, 255)));
    await rejectsGenerically(rsaAesKeyUnwrap(kek2048.privateKey, 'CKM_RSA_AES_KEY_WRAP', ciphertext.subarray(0, ciphertext.length - 8)));
    await rejectsGenerically(rsaAesKeyUnwrap(kek2048.privateKey, 'CKM_RSA_AES_KEY_WRAP', flipped(10)));
    await rejectsGenerically(rsaAesKeyUnwrap(kek2048.privateKey, 'CKM_RSA_AES_KEY_WRAP', flipped(ciphertext.length - 1)));
    await rejectsGenerically(rsaAesKeyUnwrap(rsa(2048).privateKey, 'CKM_RSA_AES_KEY_WRAP', ciphertext));
    await rejectsGenerically(rsaAesKeyUnwrap(kek2048.privateKey, 'RSA_AES_KEY_WRAP_256', ciphertext));
  });
});

describe('the key transfer blob', () => {
  const kid = 'https://localhost:8443/keys/kek/0123456789abcdef0123456789abcdef';
  const payload = randomBytes(32);
  const blob = buildTransferBlob({ recipientKid: kid, recipient: kek2048.publicKey, enc: 'CKM_RSA_AES_KEY_WRAP', payload, generator: 'test' });

  it('is read from base64url, base64 and raw JSON, and opens to the payload', async () => {
    const json = JSON.stringify(blob);
    for (const form of [encodeTransferBlob(blob), Buffer.from(json).toString('base64'), json]) {
      const parsed = parseTransferBlob(form);
      assert.equal(parsed.recipientKid, kid);
      assert.equal(parsed.enc, 'CKM_RSA_AES_KEY_WRAP');
      assert.deepEqual(await rsaAesKeyUnwrap(kek2048.privateKey, parsed.enc, parsed.ciphertext), payload);
    }
  });

  it('refuses what is not a blob, naming the fault', () => {
    const encode = (document: unknown) => Buffer.from(JSON.stringify(document)).toString('base64url');
    const cases: [unknown, RegExp][] = [
      ['', /base64 encoding of a key transfer blob/],
      ['not base64!', /base64 encoding of a key transfer blob/],
      [Buffer.from('no json').toString('base64'), /not JSON/],
      [encode({ ...blob, header: { enc: 'CKM_RSA_AES_KEY_WRAP' } }), /header\.kid/],
      [encode({ ...blob, header: { ...blob.header, enc: 'RSA-OAEP' } }), /header\.enc 'RSA-OAEP' is not supported/],
      [encode({ ...blob, ciphertext: undefined }), /ciphertext is missing/],
    ];
    for (const [keyHsm, message] of cases) {
      assert.throws(() => parseTransferBlob(keyHsm), (error: Error & { code?: string }) => message.test(error.message) && error.code === 'BadParameter');
    }
  });
});
