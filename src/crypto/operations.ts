/**
 * The cryptographic engine's public API, as the domain calls it: one function per Key Vault key operation,
 * each taking parsed key material, the wire algorithm name and the decoded request bytes.
 *
 *   signDigest(key, alg, digest)              -> signature
 *   verifyDigest(key, alg, digest, signature) -> boolean (false for any bad signature)
 *   encrypt(key, alg, { plaintext, iv?, aad? }) -> { ciphertext, iv?, tag?, aad? }
 *   decrypt(key, alg, { ciphertext, iv?, aad?, tag? }) -> plaintext
 *   wrapKey(key, alg, keyToWrap) / unwrapKey(key, alg, wrapped)
 *
 * Errors are CryptoErrors (./crypto-error.ts): `invalid-request` for request faults (with a message naming the
 * fault), and the one generic cryptoOperationFailed() for any decrypt/unwrap failure. No HTTP, no storage, no
 * key bytes in errors.
 * The per-mechanism primitives (HMAC, AES-GCM with a fixed IV, RFC 3394/5649, raw digest signatures) are
 * re-exported from './primitives.ts' for test vectors and tools, not for the request path.
 */
export { signDigest, verifyDigest } from './signature-operations.ts';
export {
  decrypt,
  encrypt,
  unwrapKey,
  wrapKey,
  type DecryptInput,
  type EncryptInput,
  type EncryptResult,
} from './cipher-operations.ts';
