/**
 * HMAC (HS256, HS384, HS512). Key Vault's sign/verify for oct keys computes the HMAC of the caller-supplied
 * value; the primitive here takes a message of any length so that RFC 4231 vectors can run against it.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { HashName } from './algorithms.ts';

export function hmac(hash: HashName, key: KeyObject | Uint8Array, message: Uint8Array): Buffer {
  return createHmac(hash, key).update(message).digest();
}

/** Constant-time comparison; a MAC of the wrong length is simply not valid. */
export function hmacVerify(hash: HashName, key: KeyObject | Uint8Array, message: Uint8Array, mac: Uint8Array): boolean {
  const expected = hmac(hash, key, message);
  return mac.length === expected.length && timingSafeEqual(expected, mac);
}
