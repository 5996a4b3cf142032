/**
 * RSA key encryption: RSA-OAEP-256, RSA-OAEP (SHA-1) and RSA1_5, one block per call.
 *
 * Encryption is a public-key operation Node does well (`publicEncrypt`). Decryption goes through the addon:
 * inline or on the libuv thread pool by key size (rsa-scheduling.ts), and for PKCS#1 v1.5 with
 * OpenSSL's implicit rejection requested explicitly. With implicit rejection a ciphertext whose padding is
 * wrong does not fail: it decrypts to a deterministic pseudo-random message, so neither the answer nor its
 * timing tells an attacker whether the padding was valid (Bleichenbacher 1998, "Marvin" 2023). OAEP decoding
 * failures, and ciphertexts that are not exactly k bytes, do fail, with the one generic crypto error.
 */
import { constants, publicEncrypt, type KeyObject } from 'node:crypto';
import { cryptoOperationFailed } from './crypto-error.ts';
import { nativeKeyFor } from './native-keys.ts';
import { DIGEST_ID, RSA_PADDING, withNativeFailure, withNativeFailureAsync } from './native.ts';
import { runsInline } from './rsa-scheduling.ts';

export type RsaEncryptionScheme = 'rsa-oaep' | 'rsa-pkcs1';
/** SHA-384 is used only by the RSA-AES key wrap of release and export (rsa-aes-key-wrap.ts). */
export type OaepHash = 'sha1' | 'sha256' | 'sha384';

export function rsaEncrypt(
  publicKey: KeyObject,
  scheme: RsaEncryptionScheme,
  oaepHash: OaepHash | undefined,
  plaintext: Uint8Array,
): Buffer {
  if (scheme === 'rsa-pkcs1') {
    return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, plaintext);
  }
  // Node's oaepHash sets both the OAEP hash and the MGF1 hash, as RSA-OAEP-256 requires.
  const options = { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash ?? 'sha1' };
  return publicEncrypt(options, plaintext);
}

export async function rsaDecrypt(
  privateKey: KeyObject,
  scheme: RsaEncryptionScheme,
  oaepHash: OaepHash | undefined,
  ciphertext: Uint8Array,
): Promise<Buffer> {
  const modulusBytes = (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  // The length of a ciphertext is public; checking it first keeps malformed input away from the key.
  if (ciphertext.length !== Math.ceil(modulusBytes)) throw cryptoOperationFailed();
  const handle = nativeKeyFor(privateKey);
  const padding = scheme === 'rsa-pkcs1' ? RSA_PADDING.pkcs1 : RSA_PADDING.oaep;
  const digest = scheme === 'rsa-pkcs1' ? DIGEST_ID.none : DIGEST_ID[oaepHash ?? 'sha1'];
  if (runsInline(privateKey)) {
    return withNativeFailure(() => handle.rsaDecrypt(padding, digest, ciphertext));
  }
  return withNativeFailureAsync(() => handle.rsaDecryptAsync(padding, digest, ciphertext));
}
