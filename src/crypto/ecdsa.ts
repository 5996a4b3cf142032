/**
 * ECDSA over a caller-supplied digest (ES256, ES256K, ES384, ES512), signatures in the JOSE form r||s.
 *
 * Node can only sign messages (it hashes them itself), so both directions go through the native addon.
 * Signing stays synchronous: a P-256 signature costs ~35 µs, less than a hop to the thread pool and back.
 */
import type { KeyObject } from 'node:crypto';
import { nativeKeyFor } from './native-keys.ts';
import { DIGEST_ID, SIGN_MODE, withNativeFailure } from './native.ts';

/** Signs `digest` (already hashed; truncated to the curve order by ECDSA itself) and returns P1363 r||s. */
export function ecdsaSignDigest(privateKey: KeyObject, digest: Uint8Array): Buffer {
  const handle = nativeKeyFor(privateKey);
  return withNativeFailure(() => handle.signDigest(SIGN_MODE.ecdsa, DIGEST_ID.none, digest));
}

/** True only for a valid r||s of exactly twice the curve order size; anything malformed is false. */
export function ecdsaVerifyDigest(publicKey: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  return nativeKeyFor(publicKey).verifyDigest(SIGN_MODE.ecdsa, DIGEST_ID.none, digest, signature);
}
