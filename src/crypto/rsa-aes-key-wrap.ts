/**
 * RSA-AES key wrap (PKCS#11 CKM_RSA_AES_KEY_WRAP), the envelope of a BYOK transfer blob, a released key and an
 * exported key: a fresh AES-256 key encrypted with RSA-OAEP under the recipient's public key, followed by the
 * RFC 5649 wrap of the payload under that AES key. The first segment is exactly the recipient's modulus long.
 *
 *   CKM_RSA_AES_KEY_WRAP   OAEP with SHA-1 (and MGF1-SHA-1), what BYOK tools produce
 *   RSA_AES_KEY_WRAP_256   OAEP with SHA-256
 *   RSA_AES_KEY_WRAP_384   OAEP with SHA-384
 *
 * The ephemeral AES key lives only inside this module and is zeroed after use. Every unwrap failure (wrong
 * recipient, corrupt or truncated ciphertext) is the one generic crypto error.
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { cryptoOperationFailed } from './crypto-error.ts';
import { rfc5649Unwrap, rfc5649Wrap } from './rfc5649.ts';
import { rsaDecrypt, rsaEncrypt, type OaepHash } from './rsa-encryption.ts';

export const RSA_AES_KEY_WRAP_ALGORITHMS = ['CKM_RSA_AES_KEY_WRAP', 'RSA_AES_KEY_WRAP_256', 'RSA_AES_KEY_WRAP_384'] as const;
export type RsaAesKeyWrapAlgorithm = (typeof RSA_AES_KEY_WRAP_ALGORITHMS)[number];

const OAEP_HASH: Record<RsaAesKeyWrapAlgorithm, OaepHash> = {
  CKM_RSA_AES_KEY_WRAP: 'sha1',
  RSA_AES_KEY_WRAP_256: 'sha256',
  RSA_AES_KEY_WRAP_384: 'sha384',
};

const EPHEMERAL_KEY_BYTES = 32;

export function isRsaAesKeyWrapAlgorithm(value: unknown): value is RsaAesKeyWrapAlgorithm {
  return typeof value === 'string' && (RSA_AES_KEY_WRAP_ALGORITHMS as readonly string[]).includes(value);
}

/** Wraps `payload` (a PKCS#8 DER private key, or raw AES key bytes) for the holder of `recipient`'s private key. */
export function rsaAesKeyWrap(recipient: KeyObject, algorithm: RsaAesKeyWrapAlgorithm, payload: Uint8Array): Buffer {
  if (recipient.asymmetricKeyType !== 'rsa') throw new TypeError('RSA-AES key wrap needs an RSA public key');
  const ephemeral = randomBytes(EPHEMERAL_KEY_BYTES);
  try {
    const wrappedKey = rsaEncrypt(recipient, 'rsa-oaep', OAEP_HASH[algorithm], ephemeral);
    return Buffer.concat([wrappedKey, rfc5649Wrap(createSecretKey(ephemeral), payload)]);
  } finally {
    ephemeral.fill(0);
  }
}

/** The payload, opened with the recipient's RSA private key. */
export async function rsaAesKeyUnwrap(recipient: KeyObject, algorithm: RsaAesKeyWrapAlgorithm, ciphertext: Uint8Array): Promise<Buffer> {
  const modulusBytes = (recipient.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  // Shorter than the RSA segment plus one RFC 5649 block (16 bytes): truncated.
  if (modulusBytes === 0 || ciphertext.length < modulusBytes + 16) throw cryptoOperationFailed();
  const ephemeral = await rsaDecrypt(recipient, 'rsa-oaep', OAEP_HASH[algorithm], ciphertext.subarray(0, modulusBytes));
  try {
    if (ephemeral.length !== 16 && ephemeral.length !== 24 && ephemeral.length !== 32) throw cryptoOperationFailed();
    return rfc5649Unwrap(createSecretKey(ephemeral), ciphertext.subarray(modulusBytes));
  } finally {
    ephemeral.fill(0);
  }
}
