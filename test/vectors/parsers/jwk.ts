/**
 * JSON Web Keys (private, base64url members) built from the raw numbers test vectors give, for importing
 * vector keys into the running service with `PUT /keys/{name}`. The service accepts only complete RSA keys, so
 * missing CRT parts (dp, dq, qi) are computed here from n, e, d, p and q.
 */
import { CURVES, type CurveName } from '../../../src/crypto/key-material.ts';

export type PrivateJwk = Record<string, string>;

export interface RsaPrivateParts {
  readonly n: Buffer;
  readonly e: Buffer;
  readonly d: Buffer;
  readonly p: Buffer;
  readonly q: Buffer;
  readonly dp?: Buffer;
  readonly dq?: Buffer;
  readonly qi?: Buffer;
}

export function bigIntOf(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}

/** Minimal big-endian base64url form (JWK integers carry no leading zeros). */
export function base64UrlOfBigInt(value: bigint): string {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex').toString('base64url');
}

/** The modulus size in bits. */
export function rsaBits(n: Buffer): number {
  return bigIntOf(n).toString(2).length;
}

/** a^-1 mod m (extended Euclid); throws when a has no inverse. */
function modularInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new Error('no modular inverse');
  return ((oldS % m) + m) % m;
}

export function rsaPrivateJwk(parts: RsaPrivateParts): PrivateJwk {
  const [n, e, d, p, q] = [parts.n, parts.e, parts.d, parts.p, parts.q].map(bigIntOf) as [bigint, bigint, bigint, bigint, bigint];
  const dp = parts.dp === undefined ? d % (p - 1n) : bigIntOf(parts.dp);
  const dq = parts.dq === undefined ? d % (q - 1n) : bigIntOf(parts.dq);
  const qi = parts.qi === undefined ? modularInverse(q, p) : bigIntOf(parts.qi);
  const members = { n, e, d, p, q, dp, dq, qi };
  return { kty: 'RSA', ...Object.fromEntries(Object.entries(members).map(([name, value]) => [name, base64UrlOfBigInt(value)])) };
}

/** An EC private key; coordinates and d are left-padded to the curve's size, as JWK requires. */
export function ecPrivateJwk(curve: CurveName, d: Buffer, x: Buffer, y: Buffer): PrivateJwk {
  const size = CURVES[curve].coordinateBytes;
  const fixed = (value: Buffer): string => {
    const hex = bigIntOf(value).toString(16).padStart(size * 2, '0');
    if (hex.length > size * 2) throw new Error('value longer than the curve');
    return Buffer.from(hex, 'hex').toString('base64url');
  };
  return { kty: 'EC', crv: curve, x: fixed(x), y: fixed(y), d: fixed(d) };
}

export function octJwk(key: Buffer): PrivateJwk {
  return { kty: 'oct', k: key.toString('base64url') };
}
