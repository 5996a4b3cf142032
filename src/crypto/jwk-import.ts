/**
 * JSON Web Key import: private material checked for size, completeness and self-consistency before it is
 * accepted. RSA has its own module (rsa-jwk-import.ts); EC and symmetric keys are checked here. Every member
 * is length-checked on its text before it is decoded (jwk-members.ts).
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { invalidCryptoRequest } from './crypto-error.ts';
import { EC_JWK_MEMBER_MAX_CHARS, OCT_JWK_MEMBER_MAX_CHARS, readJwkMember } from './jwk-members.ts';
import {
  AES_SIZES,
  CURVES,
  isCurveName,
  type EcMaterial,
  type KeyFamily,
  type KeyMaterial,
  type OctMaterial,
} from './key-material.ts';
import { importRsaJwk } from './rsa-jwk-import.ts';

/**
 * Imports a JSON Web Key holding private material. The key must be complete and self-consistent: an HSM runs a
 * pairwise consistency check on import, and so do we, so that a key with mismatched parts is refused up front
 * instead of producing wrong signatures later. Asynchronous because RSA's primality checks run on the libuv
 * pool, off the event loop.
 */
export async function importJwk(family: KeyFamily, jwk: Record<string, unknown>): Promise<KeyMaterial> {
  switch (family) {
    case 'RSA':
      return importRsaJwk(jwk);
    case 'EC':
      return importEcJwk(jwk);
    case 'oct':
      return importOctJwk(jwk);
  }
}

function importEcJwk(jwk: Record<string, unknown>): EcMaterial {
  const curve = jwk['crv'];
  if (!isCurveName(curve)) throw invalidCryptoRequest('An EC key needs crv: one of P-256, P-256K, P-384, P-521.');
  const size = CURVES[curve].coordinateBytes;
  const member = (name: 'x' | 'y' | 'd'): Buffer =>
    readJwkMember(jwk, name, 'an EC private key', EC_JWK_MEMBER_MAX_CHARS[name]);
  const [x, y, d] = [member('x'), member('y'), member('d')];
  if (x.length !== size || y.length !== size || d.length !== size) {
    throw invalidCryptoRequest(`The coordinates and private scalar of a ${curve} key must each be ${size} bytes.`);
  }
  const base = { kty: 'EC', crv: CURVES[curve].nodeJwk, x: x.toString('base64url'), y: y.toString('base64url') };
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: { ...base, d: d.toString('base64url') }, format: 'jwk' });
    publicKey = createPublicKey({ key: base, format: 'jwk' });
  } catch {
    throw invalidCryptoRequest('The EC key is invalid (the point is not on the curve or the scalar is out of range).');
  }
  // Pairwise consistency: the private scalar must match the public point given beside it.
  const probe = randomBytes(32);
  if (!nodeVerify('sha256', probe, publicKey, nodeSign('sha256', probe, privateKey))) {
    throw invalidCryptoRequest('The EC key components are inconsistent (d does not match x and y).');
  }
  return { family: 'EC', curve, privateKey, publicKey };
}

function importOctJwk(jwk: Record<string, unknown>): OctMaterial {
  const k = readJwkMember(jwk, 'k', 'a symmetric key', OCT_JWK_MEMBER_MAX_CHARS.k);
  if (!(AES_SIZES as readonly number[]).includes(k.length * 8)) {
    throw invalidCryptoRequest('Symmetric keys must be 128, 192 or 256 bits long.');
  }
  return { family: 'oct', sizeBits: k.length * 8, secretKey: createSecretKey(k) };
}
