/**
 * RSA signatures over a caller-supplied digest: RSASSA-PKCS1-v1_5 (RS256/384/512, OpenSSL builds the
 * DigestInfo), RSASSA-PSS (PS256/384/512: MGF1 with the same hash, salt as long as the hash) and RSNULL
 * (PKCS#1 v1.5 type-1 padding over the raw value, no DigestInfo).
 *
 * Signing runs inline or on the libuv thread pool by key size (see rsa-scheduling.ts). Verification is a cheap
 * public-key operation and stays synchronous.
 */
import type { KeyObject } from 'node:crypto';
import type { HashName } from './algorithms.ts';
import { nativeKeyFor } from './native-keys.ts';
import { DIGEST_ID, SIGN_MODE, withNativeFailure, withNativeFailureAsync, type DigestId, type SignMode } from './native.ts';
import { runsInline } from './rsa-scheduling.ts';

export type RsaSignatureScheme = 'rsa-pkcs1' | 'rsa-pkcs1-raw' | 'rsa-pss';

const MODE: Readonly<Record<RsaSignatureScheme, SignMode>> = {
  'rsa-pkcs1': SIGN_MODE.rsaPkcs1,
  'rsa-pkcs1-raw': SIGN_MODE.rsaPkcs1Raw,
  'rsa-pss': SIGN_MODE.rsaPss,
};

export function digestId(hash: HashName | undefined): DigestId {
  return hash === undefined ? DIGEST_ID.none : DIGEST_ID[hash];
}

export function rsaSignDigest(
  privateKey: KeyObject,
  scheme: RsaSignatureScheme,
  hash: HashName | undefined,
  value: Uint8Array,
): Promise<Buffer> {
  const handle = nativeKeyFor(privateKey);
  if (runsInline(privateKey)) {
    return Promise.resolve(withNativeFailure(() => handle.signDigest(MODE[scheme], digestId(hash), value)));
  }
  return withNativeFailureAsync(() => handle.signDigestAsync(MODE[scheme], digestId(hash), value));
}

/**
 * True only for a valid signature. `pssSaltLength` exists for test vectors; the service always verifies PS*
 * with the salt as long as the hash, as JWA prescribes.
 */
export function rsaVerifyDigest(
  publicKey: KeyObject,
  scheme: RsaSignatureScheme,
  hash: HashName | undefined,
  value: Uint8Array,
  signature: Uint8Array,
  pssSaltLength?: number,
): boolean {
  return nativeKeyFor(publicKey).verifyDigest(MODE[scheme], digestId(hash), value, signature, pssSaltLength);
}
