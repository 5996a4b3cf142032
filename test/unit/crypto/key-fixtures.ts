/**
 * Keys for the crypto unit tests, generated once per test process through the lead's key-material module
 * (so the tests exercise the same KeyMaterial shapes the service holds).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { generateKeyMaterial } from '../../../src/crypto/key-generation.ts';
import type {
  AesSize,
  CurveName,
  EcMaterial,
  OctMaterial,
  RsaMaterial,
  RsaSize,
} from '../../../src/crypto/key-material.ts';

const cache = new Map<string, Promise<unknown>>();

function once<T>(id: string, make: () => Promise<T>): Promise<T> {
  let entry = cache.get(id);
  if (entry === undefined) {
    entry = make();
    cache.set(id, entry);
  }
  return entry as Promise<T>;
}

export const RSA_SIZES_UNDER_TEST: readonly RsaSize[] = [2048, 3072, 4096];
export const CURVES_UNDER_TEST: readonly CurveName[] = ['P-256', 'P-256K', 'P-384', 'P-521'];
export const AES_SIZES_UNDER_TEST: readonly AesSize[] = [128, 192, 256];

export function rsaKey(sizeBits: RsaSize): Promise<RsaMaterial> {
  return once(`RSA-${sizeBits}`, async () => {
    const material = await generateKeyMaterial({ family: 'RSA', sizeBits, publicExponent: 65537 });
    if (material.family !== 'RSA') throw new TypeError('expected RSA material');
    return material;
  });
}

export function ecKey(curve: CurveName): Promise<EcMaterial> {
  return once(`EC-${curve}`, async () => {
    const material = await generateKeyMaterial({ family: 'EC', curve });
    if (material.family !== 'EC') throw new TypeError('expected EC material');
    return material;
  });
}

export function octKey(sizeBits: AesSize): Promise<OctMaterial> {
  return once(`oct-${sizeBits}`, async () => {
    const material = await generateKeyMaterial({ family: 'oct', sizeBits });
    if (material.family !== 'oct') throw new TypeError('expected oct material');
    return material;
  });
}

/** A fresh public KeyObject equal to the material's, to prove verification does not need the private key. */
export function detachedPublicKey(key: KeyObject): KeyObject {
  return createPublicKey(key.export({ format: 'pem', type: 'spki' }));
}
