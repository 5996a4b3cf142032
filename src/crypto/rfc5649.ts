/**
 * AES Key Wrap with Padding, RFC 5649 (CKM_AES_KEY_WRAP_PAD), through OpenSSL's id-aes*-wrap-pad ciphers
 * with the RFC's alternative initial value. Wraps any key of at least one byte.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { aesCipherName } from './aes-key.ts';
import { cryptoOperationFailed } from './crypto-error.ts';

/** RFC 5649 §3 alternative initial value (the 32-bit constant; the length completes it). */
const AIV_CONSTANT = Buffer.from('a65959a6', 'hex');

export function rfc5649Wrap(kek: KeyObject, keyToWrap: Uint8Array): Buffer {
  if (keyToWrap.length === 0) throw new TypeError('RFC 5649 wraps at least one byte');
  const cipher = createCipheriv(aesCipherName(kek, 'wrap-pad'), kek, AIV_CONSTANT);
  return Buffer.concat([cipher.update(keyToWrap), cipher.final()]);
}

/** Fails with the generic crypto error on a bad length, a failed integrity check or bad padding. */
export function rfc5649Unwrap(kek: KeyObject, wrapped: Uint8Array): Buffer {
  if (wrapped.length < 16 || wrapped.length % 8 !== 0) throw cryptoOperationFailed();
  const decipher = createDecipheriv(aesCipherName(kek, 'wrap-pad'), kek, AIV_CONSTANT);
  try {
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    throw cryptoOperationFailed();
  }
}
