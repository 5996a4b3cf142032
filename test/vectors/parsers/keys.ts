/**
 * Builds Node KeyObjects and Strongroom KeyMaterial from the raw numbers test vectors give (hex or bytes).
 * Keys smaller than the service accepts (1024-bit vector keys) are fine here: the engine does not check RSA
 * sizes, the keystore does.
 */
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { CurveName, EcMaterial, OctMaterial, RsaMaterial } from '../../../src/crypto/key-material.ts';
import { CURVES } from '../../../src/crypto/key-material.ts';
import type { RsaLabsKey } from './rsa-labs.ts';

/** Minimal big-endian form (JWK integers carry no leading zeros). */
function unsigned(bytes: Buffer): string {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  return bytes.subarray(start).toString('base64url');
}

function fixed(bytes: Buffer, size: number): string {
  const trimmed = Buffer.from(unsigned(bytes), 'base64url');
  if (trimmed.length > size) throw new Error('coordinate longer than the curve');
  return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]).toString('base64url');
}

export function rsaPublicKey(n: Buffer, e: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'RSA', n: unsigned(n), e: unsigned(e) }, format: 'jwk' });
}

export function rsaMaterial(key: RsaLabsKey): RsaMaterial {
  const jwk = {
    kty: 'RSA',
    n: unsigned(key.n),
    e: unsigned(key.e),
    d: unsigned(key.d),
    p: unsigned(key.p),
    q: unsigned(key.q),
    dp: unsigned(key.dp),
    dq: unsigned(key.dq),
    qi: unsigned(key.qi),
  };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const sizeBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  return { family: 'RSA', sizeBits, privateKey, publicKey: createPublicKey(privateKey) };
}

export function ecPublicKey(curve: CurveName, x: Buffer, y: Buffer): KeyObject {
  const size = CURVES[curve].coordinateBytes;
  return createPublicKey({
    key: { kty: 'EC', crv: CURVES[curve].nodeJwk, x: fixed(x, size), y: fixed(y, size) },
    format: 'jwk',
  });
}

export function ecMaterial(curve: CurveName, d: Buffer, x: Buffer, y: Buffer): EcMaterial {
  const size = CURVES[curve].coordinateBytes;
  const jwk = { kty: 'EC', crv: CURVES[curve].nodeJwk, x: fixed(x, size), y: fixed(y, size), d: fixed(d, size) };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { family: 'EC', curve, privateKey, publicKey: createPublicKey(privateKey) };
}

export function octMaterial(bytes: Buffer): OctMaterial {
  return { family: 'oct', sizeBits: bytes.length * 8, secretKey: createSecretKey(bytes) };
}

/** r||s with each half left-padded to `half` bytes. */
export function p1363(r: Buffer, s: Buffer, half: number): Buffer {
  const pad = (value: Buffer): Buffer => Buffer.from(fixed(value, half), 'base64url');
  return Buffer.concat([pad(r), pad(s)]);
}
