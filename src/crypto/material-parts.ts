/**
 * Narrowing from KeyMaterial to one family. The registry has already matched algorithm and key family before
 * these run, so a failure here is a programming error (TypeError -> 500), never a request error.
 */
import type { EcMaterial, KeyMaterial, OctMaterial, RsaMaterial } from './key-material.ts';

export function ecMaterial(key: KeyMaterial): EcMaterial {
  if (key.family !== 'EC') throw new TypeError('registry: expected an EC key');
  return key;
}

export function rsaMaterial(key: KeyMaterial): RsaMaterial {
  if (key.family !== 'RSA') throw new TypeError('registry: expected an RSA key');
  return key;
}

export function octMaterial(key: KeyMaterial): OctMaterial {
  if (key.family !== 'oct') throw new TypeError('registry: expected an oct key');
  return key;
}

/** k, the RSA modulus length in bytes. */
export function rsaModulusBytes(key: RsaMaterial): number {
  return Math.ceil(key.sizeBits / 8);
}
