/**
 * AES Key Wrap, RFC 3394 (A128KW, A192KW, A256KW, CKM_AES_KEY_WRAP), through OpenSSL's id-aes*-wrap ciphers
 * with the RFC's default IV. The key to wrap must be a whole number of 64-bit blocks, at least two.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { aesCipherName } from './aes-key.ts';
import { cryptoOperationFailed } from './crypto-error.ts';

/** RFC 3394 §2.2.3.1 default initial value. */
const DEFAULT_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

export function isWrappableByRfc3394(keyToWrap: Uint8Array): boolean {
  return keyToWrap.length >= 16 && keyToWrap.length % 8 === 0;
}

export function rfc3394Wrap(kek: KeyObject, keyToWrap: Uint8Array): Buffer {
  if (!isWrappableByRfc3394(keyToWrap)) throw new TypeError('RFC 3394 wraps whole 64-bit blocks, at least two');
  const cipher = createCipheriv(aesCipherName(kek, 'wrap'), kek, DEFAULT_IV);
  return Buffer.concat([cipher.update(keyToWrap), cipher.final()]);
}

/** Fails with the generic crypto error on a bad length or a failed integrity check. */
export function rfc3394Unwrap(kek: KeyObject, wrapped: Uint8Array): Buffer {
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) throw cryptoOperationFailed();
  const decipher = createDecipheriv(aesCipherName(kek, 'wrap'), kek, DEFAULT_IV);
  try {
    // OpenSSL's wrap ciphers process the whole input in one update and check integrity there.
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    throw cryptoOperationFailed();
  }
}
