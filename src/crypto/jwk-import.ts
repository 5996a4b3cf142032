/** JSON Web Key import: private material checked for completeness and self-consistency before it is accepted. */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type JsonWebKey as NodeJwk,
  type KeyObject,
} from 'node:crypto';
import { badParameter } from '../errors/errors.ts';
import { decodeBase64Lenient } from '../lib/base64url.ts';
import {
  AES_SIZES,
  CURVES,
  isCurveName,
  RSA_SIZES,
  type EcMaterial,
  type KeyFamily,
  type KeyMaterial,
  type OctMaterial,
  type RsaMaterial,
} from './key-material.ts';

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
