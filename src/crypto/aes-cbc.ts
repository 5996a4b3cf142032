/**
 * AES-CBC with a caller-supplied 16-byte IV: without padding (A*CBC, input must be block-aligned) or with
 * PKCS#7 padding (A*CBCPAD).
 *
 * CBC is unauthenticated. The most the service can do against padding oracles is to fail every decryption
 * the same way (one error, no detail); success versus failure of A*CBCPAD still reveals padding validity.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { aesCipherName } from './aes-key.ts';
import { cryptoOperationFailed } from './crypto-error.ts';

export const CBC_IV_BYTES = 16;
export const AES_BLOCK_BYTES = 16;

export function aesCbcEncrypt(key: KeyObject, iv: Uint8Array, plaintext: Uint8Array, pkcs7: boolean): Buffer {
  if (iv.length !== CBC_IV_BYTES) throw new TypeError('AES-CBC needs a 16-byte IV');
  if (!pkcs7 && plaintext.length % AES_BLOCK_BYTES !== 0) {
    throw new TypeError('AES-CBC without padding needs whole blocks');
  }
  const cipher = createCipheriv(aesCipherName(key, 'cbc'), key, iv);
  cipher.setAutoPadding(pkcs7);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

export function aesCbcDecrypt(key: KeyObject, iv: Uint8Array, ciphertext: Uint8Array, pkcs7: boolean): Buffer {
  if (iv.length !== CBC_IV_BYTES || ciphertext.length % AES_BLOCK_BYTES !== 0) throw cryptoOperationFailed();
  if (pkcs7 && ciphertext.length === 0) throw cryptoOperationFailed();
  const decipher = createDecipheriv(aesCipherName(key, 'cbc'), key, iv);
  decipher.setAutoPadding(pkcs7);
  const head = decipher.update(ciphertext);
  try {
    return Buffer.concat([head, decipher.final()]);
  } catch {
    throw cryptoOperationFailed();
  } finally {
    head.fill(0); // concat copied it (or it is being discarded)
  }
}
