/**
 * The key a released key is wrapped for: the trusted execution environment's own RSA public key, which the
 * attestation authority vouches for in the token's `x-ms-runtime.keys` (a JWK set, as Microsoft Azure
 * Attestation carries a TEE's runtime data; a confidential VM names its vTPM key `TpmEphemeralEncryptionKey`).
 *
 * The key chosen is the first RSA key marked for encryption (`use: "enc"`, or `key_ops` with `encrypt`,
 * `wrapKey`); failing that, the first RSA key marked for nothing. A key marked only for signing is never used.
 * It must be 2048 to 8192 bits. None: 400 — the TEE did not put a usable key in its attestation.
 */
import { calculateJwkThumbprint, type JWK } from 'jose';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { badParameter } from '../../errors/errors.ts';

export interface TeeWrappingKey {
  /** The key's `kid` in the token (its RFC 7638 thumbprint when it has none): the transfer blob's header.kid. */
  kid: string;
  publicKey: KeyObject;
}

const MIN_BITS = 2048;
const MAX_BITS = 8192;
const ENCRYPTION_OPS = ['encrypt', 'wrapKey'];

export async function teeWrappingKey(claims: Readonly<Record<string, unknown>>): Promise<TeeWrappingKey> {
  const runtime = claims['x-ms-runtime'];
  const keys = typeof runtime === 'object' && runtime !== null ? (runtime as { keys?: unknown }).keys : undefined;
  const candidates = (Array.isArray(keys) ? keys : []).filter(isRsaJwk);
  const chosen = candidates.find(markedForEncryption) ?? candidates.find(unmarked);
  if (chosen === undefined) {
    throw badParameter('The attestation token carries no RSA encryption key of the target environment (x-ms-runtime.keys) to wrap the released key for.');
  }
  const publicKey = rsaPublicKey(chosen);
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_BITS || bits > MAX_BITS) {
    throw badParameter(`The target environment's RSA key must be ${MIN_BITS} to ${MAX_BITS} bits long; it has ${bits}.`);
  }
  const kid = typeof chosen.kid === 'string' && chosen.kid.length > 0 ? chosen.kid : await calculateJwkThumbprint({ kty: 'RSA', n: chosen.n, e: chosen.e });
  return { kid, publicKey };
}

function rsaPublicKey(jwk: RsaJwk): KeyObject {
  const invalid = () => badParameter("The target environment's key in the attestation token (x-ms-runtime.keys) is not a valid RSA public key.");
  // Node decodes a JWK's members leniently: text that is not base64url yields an empty (zero-bit) modulus.
  if (!/^[A-Za-z0-9_-]+$/.test(jwk.n) || !/^[A-Za-z0-9_-]+$/.test(jwk.e)) throw invalid();
  try {
    return createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
  } catch {
    throw invalid();
  }
}

type RsaJwk = JWK & { kty: 'RSA'; n: string; e: string };

function isRsaJwk(value: unknown): value is RsaJwk {
  if (typeof value !== 'object' || value === null) return false;
  const jwk = value as Record<string, unknown>;
  return jwk['kty'] === 'RSA' && typeof jwk['n'] === 'string' && typeof jwk['e'] === 'string';
}

function markedForEncryption(jwk: RsaJwk): boolean {
  if (jwk.use === 'sig') return false;
  return jwk.use === 'enc' || (Array.isArray(jwk.key_ops) && jwk.key_ops.some((op) => ENCRYPTION_OPS.includes(op)));
}

function unmarked(jwk: RsaJwk): boolean {
  return jwk.use === undefined && jwk.key_ops === undefined;
}
