/**
 * Key material as the service holds it in memory: parsed Node `KeyObject`s, never raw bytes lying around.
 *
 * This module creates material (generation, JWK import), describes it (public JWK), and converts it to and
 * from the private byte form that the keystore seals for storage (PKCS#8 DER for RSA and EC, raw bytes for
 * AES/HMAC keys). It knows nothing of storage, HTTP or Key Vault attributes.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPair,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type JsonWebKey as NodeJwk,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { badParameter } from '../errors/errors.ts';
import { decodeBase64Lenient } from '../lib/base64url.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

/** JWK curve names used on the wire, mapped to the names Node/OpenSSL use. */
export const CURVES = {
  'P-256': { openssl: 'prime256v1', nodeJwk: 'P-256', coordinateBytes: 32 },
  'P-256K': { openssl: 'secp256k1', nodeJwk: 'secp256k1', coordinateBytes: 32 },
  'P-384': { openssl: 'secp384r1', nodeJwk: 'P-384', coordinateBytes: 48 },
  'P-521': { openssl: 'secp521r1', nodeJwk: 'P-521', coordinateBytes: 66 },
} as const;
export type CurveName = keyof typeof CURVES;

export const RSA_SIZES = [2048, 3072, 4096] as const;
export const AES_SIZES = [128, 192, 256] as const;
export type RsaSize = (typeof RSA_SIZES)[number];
export type AesSize = (typeof AES_SIZES)[number];

export type KeyFamily = 'RSA' | 'EC' | 'oct';

export interface RsaMaterial {
  readonly family: 'RSA';
  readonly sizeBits: number;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}
export interface EcMaterial {
  readonly family: 'EC';
  readonly curve: CurveName;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}
export interface OctMaterial {
  readonly family: 'oct';
  readonly sizeBits: number;
  readonly secretKey: KeyObject;
}
export type KeyMaterial = RsaMaterial | EcMaterial | OctMaterial;

export type KeySpec =
  | { readonly family: 'RSA'; readonly sizeBits: RsaSize; readonly publicExponent: number }
  | { readonly family: 'EC'; readonly curve: CurveName }
  | { readonly family: 'oct'; readonly sizeBits: AesSize };

/** Public parts of a key as they appear in a JSON Web Key; oct keys have none. */
export type PublicJwk = { n: string; e: string } | { crv: CurveName; x: string; y: string } | Record<string, never>;

export function isCurveName(value: unknown): value is CurveName {
  return typeof value === 'string' && Object.hasOwn(CURVES, value);
}

export async function generateKeyMaterial(spec: KeySpec): Promise<KeyMaterial> {
  switch (spec.family) {
    case 'RSA': {
      const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
        modulusLength: spec.sizeBits,
        publicExponent: spec.publicExponent,
      });
      return { family: 'RSA', sizeBits: spec.sizeBits, privateKey, publicKey };
    }
    case 'EC': {
      const { privateKey, publicKey } = await generateKeyPairAsync('ec', {
        namedCurve: CURVES[spec.curve].openssl,
      });
      return { family: 'EC', curve: spec.curve, privateKey, publicKey };
    }
    case 'oct':
      return { family: 'oct', sizeBits: spec.sizeBits, secretKey: createSecretKey(randomBytes(spec.sizeBits / 8)) };
  }
}

export function publicJwk(material: KeyMaterial): PublicJwk {
  switch (material.family) {
    case 'RSA': {
      const jwk = material.publicKey.export({ format: 'jwk' });
      return { n: requireString(jwk.n), e: requireString(jwk.e) };
    }
    case 'EC': {
      const jwk = material.publicKey.export({ format: 'jwk' });
      return { crv: material.curve, x: requireString(jwk.x), y: requireString(jwk.y) };
    }
    case 'oct':
      return {};
  }
}

/** The private form the keystore seals: PKCS#8 DER for RSA/EC, the raw secret for oct. */
export function exportPrivateBytes(material: KeyMaterial): Buffer {
  return material.family === 'oct'
    ? material.secretKey.export()
    : material.privateKey.export({ format: 'der', type: 'pkcs8' });
}

export function materialFromPrivateBytes(family: KeyFamily, bytes: Buffer): KeyMaterial {
  if (family === 'oct') {
    return { family: 'oct', sizeBits: bytes.length * 8, secretKey: createSecretKey(bytes) };
  }
  const privateKey = createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  return describeAsymmetric(privateKey, publicKey);
}

function describeAsymmetric(privateKey: KeyObject, publicKey: KeyObject): RsaMaterial | EcMaterial {
  const details = privateKey.asymmetricKeyDetails;
  if (privateKey.asymmetricKeyType === 'rsa') {
    return { family: 'RSA', sizeBits: details?.modulusLength ?? 0, privateKey, publicKey };
  }
  if (privateKey.asymmetricKeyType === 'ec') {
    const curve = curveFromOpenSsl(details?.namedCurve);
    if (curve === undefined) throw badParameter('The elliptic curve of the key is not supported.');
    return { family: 'EC', curve, privateKey, publicKey };
  }
  throw badParameter('The key type is not supported.');
}

function curveFromOpenSsl(name: string | undefined): CurveName | undefined {
  return (Object.keys(CURVES) as CurveName[]).find((curve) => CURVES[curve].openssl === name);
}

/**
 * Imports a JSON Web Key holding private material. The key must be complete and self-consistent: an HSM runs a
 * pairwise consistency check on import, and so do we, so that a key with mismatched parts is refused up front
 * instead of producing wrong signatures later.
 */
export function importJwk(family: KeyFamily, jwk: Record<string, unknown>): KeyMaterial {
  switch (family) {
    case 'RSA':
      return importRsaJwk(jwk);
    case 'EC':
      return importEcJwk(jwk);
    case 'oct':
      return importOctJwk(jwk);
  }
}

const RSA_PRIVATE_MEMBERS = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

function importRsaJwk(jwk: Record<string, unknown>): RsaMaterial {
  const parts = Object.fromEntries(
    RSA_PRIVATE_MEMBERS.map((member) => [member, jwkBigInt(jwk, member, 'an RSA private key')]),
  ) as Record<(typeof RSA_PRIVATE_MEMBERS)[number], bigint>;
  if (!rsaComponentsAreConsistent(parts)) {
    throw badParameter('The RSA key components are inconsistent (n, e, d, p, q, dp, dq and qi must belong together).');
  }
  const sizeBits = parts.n.toString(2).length;
  if (!(RSA_SIZES as readonly number[]).includes(sizeBits)) {
    throw badParameter(`RSA keys must be 2048, 3072 or 4096 bits; this key has ${sizeBits} bits.`);
  }
  const nodeJwk: NodeJwk = { kty: 'RSA' };
  for (const member of RSA_PRIVATE_MEMBERS) nodeJwk[member] = bigIntToBase64Url(parts[member]);
  const privateKey = createPrivateKey({ key: nodeJwk, format: 'jwk' });
  return { family: 'RSA', sizeBits, privateKey, publicKey: createPublicKey(privateKey) };
}

function rsaComponentsAreConsistent(k: Record<(typeof RSA_PRIVATE_MEMBERS)[number], bigint>): boolean {
  const one = 1n;
  if (k.p <= one || k.q <= one || k.p * k.q !== k.n) return false;
  if (k.e <= one || k.e % 2n === 0n) return false;
  const pMinus1 = k.p - one;
  const qMinus1 = k.q - one;
  const lambda = (pMinus1 / gcd(pMinus1, qMinus1)) * qMinus1;
  return (
    (k.d * k.e) % lambda === one &&
    k.dp === k.d % pMinus1 &&
    k.dq === k.d % qMinus1 &&
    (k.qi * k.q) % k.p === one
  );
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function importEcJwk(jwk: Record<string, unknown>): EcMaterial {
  const curve = jwk['crv'];
  if (!isCurveName(curve)) throw badParameter('An EC key needs crv: one of P-256, P-256K, P-384, P-521.');
  const size = CURVES[curve].coordinateBytes;
  const x = jwkBytes(jwk, 'x', 'an EC private key');
  const y = jwkBytes(jwk, 'y', 'an EC private key');
  const d = jwkBytes(jwk, 'd', 'an EC private key');
  if (x.length !== size || y.length !== size || d.length !== size) {
    throw badParameter(`The coordinates and private scalar of a ${curve} key must each be ${size} bytes.`);
  }
  const base = { kty: 'EC', crv: CURVES[curve].nodeJwk, x: x.toString('base64url'), y: y.toString('base64url') };
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: { ...base, d: d.toString('base64url') }, format: 'jwk' });
    publicKey = createPublicKey({ key: base, format: 'jwk' });
  } catch {
    throw badParameter('The EC key is invalid (the point is not on the curve or the scalar is out of range).');
  }
  // Pairwise consistency: the private scalar must match the public point given beside it.
  const probe = randomBytes(32);
  if (!nodeVerify('sha256', probe, publicKey, nodeSign('sha256', probe, privateKey))) {
    throw badParameter('The EC key components are inconsistent (d does not match x and y).');
  }
  return { family: 'EC', curve, privateKey, publicKey };
}

function importOctJwk(jwk: Record<string, unknown>): OctMaterial {
  const k = jwkBytes(jwk, 'k', 'a symmetric key');
  if (!(AES_SIZES as readonly number[]).includes(k.length * 8)) {
    throw badParameter('Symmetric keys must be 128, 192 or 256 bits long.');
  }
  return { family: 'oct', sizeBits: k.length * 8, secretKey: createSecretKey(k) };
}

function jwkBytes(jwk: Record<string, unknown>, member: string, what: string): Buffer {
  const value = jwk[member];
  if (typeof value !== 'string' || value.length === 0) {
    throw badParameter(`The JSON Web Key of ${what} must have the member '${member}'.`);
  }
  const bytes = decodeBase64Lenient(value);
  if (bytes === undefined || bytes.length === 0) {
    throw badParameter(`The JSON Web Key member '${member}' is not base64url.`);
  }
  return bytes;
}

function jwkBigInt(jwk: Record<string, unknown>, member: string, what: string): bigint {
  return BigInt(`0x${jwkBytes(jwk, member, what).toString('hex')}`);
}

function bigIntToBase64Url(value: bigint): string {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

function requireString(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('Node returned a JWK without the expected member');
  return value;
}
