/**
 * Key material as the service holds it in memory: parsed Node `KeyObject`s, never raw bytes lying around.
 *
 * This module is the model only (families, curves, sizes, the material types). Creating material lives in
 * `key-generation.ts`, importing a JSON Web Key (with its consistency proof) in `jwk-import.ts`, and the
 * conversions to the public JWK and to the private byte form the keystore seals in `key-encoding.ts`.
 * None of them knows storage, HTTP or Key Vault attributes.
 */
import type { KeyObject } from 'node:crypto';

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
