/**
 * What a create or import request may ask for: key types (`kty`), sizes, curves, and the operations
 * (`key_ops`) each key family can be allowed to perform.
 *
 * Strongroom behaves as a Managed HSM: every key is HSM-protected, so `RSA` and `RSA-HSM` (and so on) name the
 * same thing and responses always carry the `-HSM` type.
 */
import { ALGORITHMS, type KeyOperation } from '../../crypto/algorithms.ts';
import { badParameter } from '../../errors/errors.ts';
import {
  AES_SIZES,
  CURVES,
  isCurveName,
  RSA_SIZES,
  type AesSize,
  type KeyFamily,
  type KeySpec,
  type RsaSize,
} from '../../crypto/key-material.ts';

/** `AES` is what the SDK's `createKey(name, "AES")` sends; Managed HSM answers it with an oct-HSM key. */
const KEY_TYPES: Record<string, KeyFamily> = {
  RSA: 'RSA', 'RSA-HSM': 'RSA',
  EC: 'EC', 'EC-HSM': 'EC',
  oct: 'oct', 'oct-HSM': 'oct', AES: 'oct',
};

export const WIRE_KEY_TYPE: Record<KeyFamily, string> = { RSA: 'RSA-HSM', EC: 'EC-HSM', oct: 'oct-HSM' };

/** A `key_ops` entry: a cryptographic operation, or `import`, which marks an RSA key as a BYOK key-exchange key. */
export type KeyOp = KeyOperation | 'import';

/**
 * The operations each family can perform: those some algorithm of the registry offers for the family (so the
 * algorithm table is the one place that says it), plus `import` for RSA key-exchange keys.
 */
const ALLOWED_OPERATIONS: Record<KeyFamily, readonly KeyOp[]> = {
  RSA: [...operationsOfFamily('RSA'), 'import'],
  EC: operationsOfFamily('EC'),
  oct: operationsOfFamily('oct'),
};

function operationsOfFamily(family: KeyFamily): KeyOp[] {
  const operations = new Set<KeyOp>();
  for (const algorithm of Object.values(ALGORITHMS)) {
    if (algorithm.family === family) for (const operation of algorithm.operations) operations.add(operation);
  }
  return [...operations];
}

/**
 * Operations a new key gets when the request names none. RSA and EC follow the service; AES keys default to
 * encryption and wrapping only, so that using one key for both AES and HMAC is an explicit choice.
 */
const DEFAULT_OPERATIONS: Record<KeyFamily, readonly KeyOp[]> = {
  RSA: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'],
  EC: ['sign', 'verify'],
  oct: ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
};

export function keyFamilyOf(kty: unknown): KeyFamily {
  const family = typeof kty === 'string' && Object.hasOwn(KEY_TYPES, kty) ? KEY_TYPES[kty] : undefined;
  if (family === undefined) {
    throw badParameter(`The key type (kty) must be one of ${Object.keys(KEY_TYPES).join(', ')}.`);
  }
  return family;
}

export interface KeySpecRequest {
  kty: string;
  key_size?: number | undefined;
  crv?: string | undefined;
  public_exponent?: number | undefined;
}

export function keySpecOf(request: KeySpecRequest): KeySpec {
  const family = keyFamilyOf(request.kty);
  switch (family) {
    case 'RSA':
      return {
        family,
        sizeBits: oneOf(request.key_size ?? 2048, RSA_SIZES, 'RSA key_size') as RsaSize,
        publicExponent: publicExponentOf(request.public_exponent),
      };
    case 'EC': {
      const curve = request.crv ?? 'P-256';
      if (!isCurveName(curve)) throw badParameter(`The curve (crv) must be one of ${Object.keys(CURVES).join(', ')}.`);
      return { family, curve };
    }
    case 'oct':
      return { family, sizeBits: oneOf(request.key_size ?? 256, AES_SIZES, 'oct key_size') as AesSize };
  }
}

/** FIPS 186-5 asks for an odd exponent of at least 65537; 65537 is what everyone uses. */
function publicExponentOf(value: number | undefined): number {
  if (value === undefined) return 65537;
  if (value < 65537 || value > 0xffffffff || value % 2 === 0) {
    throw badParameter('public_exponent must be an odd number from 65537 to 4294967295.');
  }
  return value;
}

function oneOf(value: number, allowed: readonly number[], what: string): number {
  if (!allowed.includes(value)) throw badParameter(`${what} must be one of ${allowed.join(', ')}.`);
  return value;
}

/** Validates requested operations for a family (duplicates dropped), or gives the family's default. */
export function keyOperationsFor(family: KeyFamily, requested: readonly string[] | undefined): string[] {
  if (requested === undefined) return [...DEFAULT_OPERATIONS[family]];
  if (requested.includes(KEY_EXCHANGE_OPERATION)) return keyExchangeOperations(family, requested);
  const allowed: readonly string[] = ALLOWED_OPERATIONS[family];
  for (const operation of requested) {
    if (!allowed.includes(operation)) {
      throw badParameter(`The operation '${operation}' is not valid for a ${WIRE_KEY_TYPE[family]} key; valid: ${allowed.join(', ')}.`);
    }
  }
  return [...new Set(requested)];
}

/**
 * A key-exchange key (KEK, reference §3.5) is an RSA key whose only operation is `import`: it unwraps BYOK
 * transfer blobs inside the service and can do nothing else, so its private key never decrypts or signs
 * anything a caller chose.
 */
export const KEY_EXCHANGE_OPERATION = 'import';

export function isKeyExchangeKey(keyOps: readonly string[]): boolean {
  return keyOps.includes(KEY_EXCHANGE_OPERATION);
}

function keyExchangeOperations(family: KeyFamily, requested: readonly string[]): string[] {
  if (family !== 'RSA') {
    throw badParameter(`The operation 'import' is only valid for an RSA-HSM key-exchange key; ${WIRE_KEY_TYPE[family]} keys cannot have it.`);
  }
  const others = requested.filter((operation) => operation !== KEY_EXCHANGE_OPERATION);
  if (others.length > 0) {
    throw badParameter(`A key-exchange key (key_ops 'import') can do nothing else: key_ops must be exactly ["import"], without ${[...new Set(others)].join(', ')}.`);
  }
  return [KEY_EXCHANGE_OPERATION];
}

/**
 * The operations of an update: the same rules as for a new key, and a key's role as a key-exchange key is
 * fixed when it is made (an update can neither give a KEK other operations nor turn another key into one).
 */
export function keyOperationsForUpdate(current: { family: KeyFamily; keyOps: readonly string[] }, requested: readonly string[]): string[] {
  const wasKek = isKeyExchangeKey(current.keyOps);
  if (wasKek && !requested.includes(KEY_EXCHANGE_OPERATION)) {
    throw badParameter(`This key is a key-exchange key: its key_ops must stay ["import"]; create another key for other operations.`);
  }
  const keyOps = keyOperationsFor(current.family, requested);
  if (!wasKek && isKeyExchangeKey(keyOps)) {
    throw badParameter(`A key becomes a key-exchange key only when it is created with key_ops ["import"]; an update cannot make it one.`);
  }
  return keyOps;
}
