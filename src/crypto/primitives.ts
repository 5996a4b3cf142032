/**
 * The mechanism-level primitives under the operations, exported for test vectors and offline tools: they take
 * arbitrary lengths, fixed IVs and bare public keys that the request path never accepts. The service itself
 * goes through './operations.ts', which adds the registry's checks.
 */
export { aesCbcDecrypt, aesCbcEncrypt } from './aes-cbc.ts';
export { aesGcmDecrypt, aesGcmEncrypt } from './aes-gcm.ts';
export { ecdsaSignDigest, ecdsaVerifyDigest } from './ecdsa.ts';
export { hmac, hmacVerify } from './hmac.ts';
export { rfc3394Unwrap, rfc3394Wrap } from './rfc3394.ts';
export { rfc5649Unwrap, rfc5649Wrap } from './rfc5649.ts';
export { rsaDecrypt, rsaEncrypt } from './rsa-encryption.ts';
export { rsaSignDigest, rsaVerifyDigest } from './rsa-signature.ts';
