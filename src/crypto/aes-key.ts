/**
 * Maps an AES key to the OpenSSL cipher name for a mode ("aes-256-gcm", "id-aes128-wrap", ...), so the AES
 * modules never handle raw key bytes: Node takes the KeyObject directly.
 */
import type { CipherGCMTypes, KeyObject } from 'node:crypto';

export type AesKeyBits = 128 | 192 | 256;

export function aesKeyBits(key: KeyObject): AesKeyBits {
  const bits = (key.symmetricKeySize ?? 0) * 8;
  if (bits !== 128 && bits !== 192 && bits !== 256) {
    throw new TypeError('An AES operation needs a 128, 192 or 256-bit key');
  }
  return bits;
}

export function aesCipherName(key: KeyObject, mode: 'cbc' | 'wrap' | 'wrap-pad'): string {
  const bits = aesKeyBits(key);
  return mode === 'cbc' ? `aes-${bits}-cbc` : `id-aes${bits}-${mode}`;
}

/** Typed separately so that Node's GCM overloads (authTagLength, getAuthTag) apply. */
export function aesGcmCipherName(key: KeyObject): CipherGCMTypes {
  return `aes-${aesKeyBits(key)}-gcm`;
}
