/**
 * The binary members of an imported JSON Web Key: how long each may be, and reading them within that limit.
 *
 * Without limits a client could send a self-consistent RSA key with 46,000-byte "primes" and keep the event
 * loop busy for most of a minute in BigInt arithmetic (issue 7). So every member is bounded twice: its text is
 * measured before it is decoded, and its bytes before they become a number (the family importers do the
 * second step, since the byte rules depend on the key's size).
 *
 * The character limits are exported so that the request JSON schema can carry the same numbers as maxLength;
 * they are the largest any supported key needs, padded base64 included (decoding accepts padding).
 */
import { decodeBase64Lenient } from '../lib/base64url.ts';
import { invalidCryptoRequest } from './crypto-error.ts';
import { AES_SIZES, CURVES, RSA_SIZES } from './key-material.ts';

/** The modulus lengths of the supported RSA sizes: 256, 384 and 512 bytes. */
export const RSA_MODULUS_BYTES: readonly number[] = RSA_SIZES.map((bits) => bits / 8);
/** e is at most 2^32 - 1, the rule create applies to public_exponent. */
export const RSA_PUBLIC_EXPONENT_MAX_BYTES = 4;
/** p and q may each be one byte shorter or longer than half of n (the bit rule after it is tighter). */
export const RSA_PRIME_BYTES_SLACK = 1;
/**
 * Room the character limits leave for a zero octet in front of the largest RSA integers. JWK integers carry
 * none (RFC 7518 §6.3), but the RFC notes libraries that prefix one to n (§6.3.1.1), and fixed-width encoders
 * pad d, p, q, dp, dq and qi with zeros; the RSA importer strips leading zeros before it measures the bytes.
 */
export const RSA_LEADING_ZERO_OCTETS = 1;

export type RsaMember = 'n' | 'e' | 'd' | 'p' | 'q' | 'dp' | 'dq' | 'qi';
export type EcMember = 'x' | 'y' | 'd';
export type OctMember = 'k';

const MAX_MODULUS_BYTES = Math.max(...RSA_MODULUS_BYTES);
const MAX_PRIME_BYTES = MAX_MODULUS_BYTES / 2 + RSA_PRIME_BYTES_SLACK;
const MAX_COORDINATE_BYTES = Math.max(...Object.values(CURVES).map((curve) => curve.coordinateBytes));
const MAX_AES_BYTES = Math.max(...AES_SIZES) / 8;

/** Characters of padded base64 that carry `bytes` octets. */
export function base64Chars(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

const rsaChars = (significantBytes: number): number => base64Chars(significantBytes + RSA_LEADING_ZERO_OCTETS);

/** n, d, dp, dq, qi: 684; e: 8; p, q: 344. */
export const RSA_JWK_MEMBER_MAX_CHARS: Readonly<Record<RsaMember, number>> = {
  n: rsaChars(MAX_MODULUS_BYTES),
  e: rsaChars(RSA_PUBLIC_EXPONENT_MAX_BYTES),
  d: rsaChars(MAX_MODULUS_BYTES),
  p: rsaChars(MAX_PRIME_BYTES),
  q: rsaChars(MAX_PRIME_BYTES),
  dp: rsaChars(MAX_MODULUS_BYTES),
  dq: rsaChars(MAX_MODULUS_BYTES),
  qi: rsaChars(MAX_MODULUS_BYTES),
};

/** x, y, d: 88 (P-521's 66 bytes; EC members have exactly the curve's size, no leading zeros to spare). */
export const EC_JWK_MEMBER_MAX_CHARS: Readonly<Record<EcMember, number>> = {
  x: base64Chars(MAX_COORDINATE_BYTES),
  y: base64Chars(MAX_COORDINATE_BYTES),
  d: base64Chars(MAX_COORDINATE_BYTES),
};

/** k: 44 (a 256-bit AES key). */
export const OCT_JWK_MEMBER_MAX_CHARS: Readonly<Record<OctMember, number>> = { k: base64Chars(MAX_AES_BYTES) };

/** One table for a schema that has one JsonWebKey for every kty: the largest limit of each member name. */
export const JWK_MEMBER_MAX_CHARS: Readonly<Record<RsaMember | EcMember | OctMember, number>> = {
  ...EC_JWK_MEMBER_MAX_CHARS,
  ...OCT_JWK_MEMBER_MAX_CHARS,
  ...RSA_JWK_MEMBER_MAX_CHARS,
  d: Math.max(RSA_JWK_MEMBER_MAX_CHARS.d, EC_JWK_MEMBER_MAX_CHARS.d),
};

/**
 * The decoded bytes of `member`, refused without decoding when its text is longer than `maxChars`. `what`
 * names the key in messages ("an RSA private key"); messages name the member, never its value.
 */
export function readJwkMember(jwk: Record<string, unknown>, member: string, what: string, maxChars: number): Buffer {
  const value = jwk[member];
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidCryptoRequest(`The JSON Web Key of ${what} must have the member '${member}'.`);
  }
  if (value.length > maxChars) {
    throw invalidCryptoRequest(
      `The JSON Web Key member '${member}' is too long for ${what} (at most ${maxChars} characters).`,
    );
  }
  const bytes = decodeBase64Lenient(value);
  if (bytes === undefined || bytes.length === 0) {
    throw invalidCryptoRequest(`The JSON Web Key member '${member}' is not base64url.`);
  }
  return bytes;
}

/** The big-endian integer without its leading zero octets (empty for zero). */
export function withoutLeadingZeros(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start += 1;
  return bytes.subarray(start);
}
