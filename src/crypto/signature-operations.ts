/**
 * signDigest / verifyDigest: the Key Vault "sign hash" and "verify hash" operations for every signature
 * algorithm in the registry. The registry decides whether an algorithm fits the key; this module checks the
 * digest and dispatches through a scheme -> engine table.
 *
 * Verification answers false for any signature that does not verify, however malformed; only request faults
 * (unknown algorithm, wrong key, wrong digest length) are errors.
 */
import {
  resolveSignatureAlgorithm,
  type HashName,
  type SignatureAlgorithm,
  type SignatureScheme,
} from './algorithms.ts';
import { invalidCryptoRequest } from './crypto-error.ts';
import { ecdsaSignDigest, ecdsaVerifyDigest } from './ecdsa.ts';
import { hmac, hmacVerify } from './hmac.ts';
import type { KeyMaterial } from './key-material.ts';
import { ecMaterial as ec, octMaterial as oct, rsaMaterial as rsa, rsaModulusBytes } from './material-parts.ts';
import { rsaSignDigest, rsaVerifyDigest, type RsaSignatureScheme } from './rsa-signature.ts';

/** PKCS#1 v1.5 type-1 padding needs 11 bytes (RFC 8017 §9.2 step 3). */
const PKCS1_PADDING_OVERHEAD = 11;

interface SignatureEngine {
  sign(key: KeyMaterial, algorithm: SignatureAlgorithm, value: Buffer): Promise<Buffer> | Buffer;
  verify(key: KeyMaterial, algorithm: SignatureAlgorithm, value: Buffer, signature: Buffer): boolean;
}

function rsaEngine(scheme: RsaSignatureScheme): SignatureEngine {
  return {
    sign: (key, algorithm, value) => rsaSignDigest(rsa(key).privateKey, scheme, algorithm.hash, value),
    verify: (key, algorithm, value, signature) =>
      rsaVerifyDigest(rsa(key).publicKey, scheme, algorithm.hash, value, signature),
  };
}

const ENGINES: Readonly<Record<SignatureScheme, SignatureEngine>> = {
  ecdsa: {
    sign: (key, _algorithm, value) => ecdsaSignDigest(ec(key).privateKey, value),
    verify: (key, _algorithm, value, signature) => ecdsaVerifyDigest(ec(key).publicKey, value, signature),
  },
  'rsa-pkcs1': rsaEngine('rsa-pkcs1'),
  'rsa-pkcs1-raw': rsaEngine('rsa-pkcs1-raw'),
  'rsa-pss': rsaEngine('rsa-pss'),
  hmac: {
    sign: (key, algorithm, value) => hmac(hashOf(algorithm), oct(key).secretKey, value),
    verify: (key, algorithm, value, signature) => hmacVerify(hashOf(algorithm), oct(key).secretKey, value, signature),
  },
};

/** Signs a caller-computed digest (RSNULL: a raw value). Returns the signature as Key Vault sends it. */
export async function signDigest(key: KeyMaterial, alg: string, digest: Buffer): Promise<Buffer> {
  const algorithm = resolveSignatureAlgorithm(alg, 'sign', key);
  checkSignedValue(algorithm, key, digest);
  return ENGINES[algorithm.scheme].sign(key, algorithm, digest);
}

/** True only when `signature` is a valid signature of `digest` under the key's public part. */
export async function verifyDigest(key: KeyMaterial, alg: string, digest: Buffer, signature: Buffer): Promise<boolean> {
  const algorithm = resolveSignatureAlgorithm(alg, 'verify', key);
  checkSignedValue(algorithm, key, digest);
  return ENGINES[algorithm.scheme].verify(key, algorithm, digest, signature);
}

function checkSignedValue(algorithm: SignatureAlgorithm, key: KeyMaterial, value: Buffer): void {
  if (algorithm.digestLength !== undefined) {
    if (value.length !== algorithm.digestLength) {
      throw invalidCryptoRequest(
        `Algorithm ${algorithm.name} takes a ${algorithm.digestLength}-byte digest; this one is ${value.length} bytes.`,
      );
    }
    return;
  }
  // RSNULL: a raw value that must fit a PKCS#1 v1.5 type-1 block.
  const max = rsaModulusBytes(rsa(key)) - PKCS1_PADDING_OVERHEAD;
  if (value.length === 0 || value.length > max) {
    throw invalidCryptoRequest(
      `Algorithm ${algorithm.name} signs 1 to ${max} bytes with this key; got ${value.length} bytes.`,
    );
  }
}

function hashOf(algorithm: SignatureAlgorithm): HashName {
  if (algorithm.hash === undefined) throw new TypeError(`registry: ${algorithm.name} has no hash`);
  return algorithm.hash;
}
