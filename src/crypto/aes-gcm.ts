/**
 * AES-GCM (A128GCM, A192GCM, A256GCM) with 12-byte IVs and full 16-byte tags.
 *
 * Decryption is all-or-nothing: the plaintext OpenSSL releases before the tag is checked is wiped and never
 * returned when the tag fails, and every failure (tag, ciphertext, AAD, IV) is the same generic error.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { aesGcmCipherName } from './aes-key.ts';
import { cryptoOperationFailed } from './crypto-error.ts';

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** Encrypts with the given IV. The service always passes a fresh random IV; vector tests pass fixed ones. */
export function aesGcmEncrypt(
  key: KeyObject,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): { ciphertext: Buffer; tag: Buffer } {
  if (iv.length !== GCM_IV_BYTES) throw new TypeError('AES-GCM needs a 12-byte IV');
  const cipher = createCipheriv(aesGcmCipherName(key), key, iv, { authTagLength: GCM_TAG_BYTES });
  if (aad !== undefined) cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

export function aesGcmDecrypt(
  key: KeyObject,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad?: Uint8Array,
): Buffer {
  // Truncated tags are refused outright: a short tag is a weaker tag.
  if (iv.length !== GCM_IV_BYTES || tag.length !== GCM_TAG_BYTES) throw cryptoOperationFailed();
  const decipher = createDecipheriv(aesGcmCipherName(key), key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAuthTag(tag);
  if (aad !== undefined) decipher.setAAD(aad);
  const unverified = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    unverified.fill(0);
    throw cryptoOperationFailed();
  }
  return unverified;
}
