/**
 * Key material to and from its encodings: the public JSON Web Key clients see, and the private byte form the
 * keystore seals for storage (PKCS#8 DER for RSA and EC, the raw secret for AES/HMAC keys).
 */
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { invalidCryptoRequest } from './crypto-error.ts';
import { CURVES, type CurveName, type EcMaterial, type KeyFamily, type KeyMaterial, type PublicJwk, type RsaMaterial } from './key-material.ts';

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
    if (curve === undefined) throw invalidCryptoRequest('The elliptic curve of the key is not supported.');
    return { family: 'EC', curve, privateKey, publicKey };
  }
  throw invalidCryptoRequest('The key type is not supported.');
}

function curveFromOpenSsl(name: string | undefined): CurveName | undefined {
  return (Object.keys(CURVES) as CurveName[]).find((curve) => CURVES[curve].openssl === name);
}

function requireString(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('Node returned a JWK without the expected member');
  return value;
}
