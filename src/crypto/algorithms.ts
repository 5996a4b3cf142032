/**
 * The algorithm registry: every JWA name Strongroom accepts, mapped to what it needs from a key and what it
 * may be used for. One table, one lookup (`resolveAlgorithm`), so that "which algorithm works with which key
 * and operation" is answered in exactly one place and the error a caller gets names the mismatch.
 *
 * Decisions (checked against @azure/keyvault-keys 4.10 and the Managed HSM algorithm documentation):
 * - Sign/verify take a caller-computed digest whose length must equal the hash output (32/48/64 bytes); this
 *   holds for HS* too (HMAC over the supplied value). RSNULL takes a raw value of 1..k-11 bytes.
 * - RSA-OAEP-256, RSA-OAEP and RSA1_5 serve encrypt, decrypt, wrapKey and unwrapKey alike (the SDK's
 *   KeyWrapAlgorithm and EncryptionAlgorithm both list them; wrap/unwrap are encrypt/decrypt for RSA).
 * - A*KW, CKM_AES_KEY_WRAP and CKM_AES_KEY_WRAP_PAD belong to wrapKey/unwrapKey and are also accepted by
 *   encrypt/decrypt, because the SDK's EncryptionAlgorithm (JsonWebKeyEncryptionAlgorithm) includes them.
 * - A*GCM, A*CBC and A*CBCPAD belong to encrypt/decrypt only: they produce an iv (and a tag) that the
 *   wrapKey result has no field for, and the SDK's KeyWrapAlgorithm does not list them.
 * - A128/A192/A256-prefixed algorithms need an AES key of exactly that size; CKM_AES_KEY_WRAP(_PAD) take any
 *   AES size. HS* accept any oct key: RFC 7518's "key at least as long as the hash" would make HS384/HS512
 *   unusable with Managed HSM's 128..256-bit oct keys.
 * - AES-GCM: the service generates a 12-byte IV and returns a 16-byte tag; a caller-supplied IV is refused
 *   (the service owns IV uniqueness). AES-CBC: the caller's 16-byte IV is used when given; when none is given
 *   the service generates a random one and returns it. (The JS SDK 4.10 means to generate a CBC IV client-side,
 *   but its check, `alg in array`, never fires, so SDK callers who pass no iv rely on this.)
 */
import { invalidCryptoRequest } from './crypto-error.ts';
import { AES_SIZES, type AesSize, type CurveName, type KeyFamily, type KeyMaterial } from './key-material.ts';

export type KeyOperation = 'sign' | 'verify' | 'encrypt' | 'decrypt' | 'wrapKey' | 'unwrapKey';
export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const HASH_LENGTH: Readonly<Record<HashName, number>> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

export type SignatureScheme = 'ecdsa' | 'rsa-pkcs1' | 'rsa-pkcs1-raw' | 'rsa-pss' | 'hmac';
export type CipherScheme = 'rsa-oaep' | 'rsa-pkcs1' | 'aes-gcm' | 'aes-cbc' | 'aes-cbc-pkcs7' | 'aes-kw' | 'aes-kwp';

/** How the IV of a symmetric cipher is obtained. */
export type IvPolicy = 'none' | 'server-generated' | 'caller-or-generated';

export interface SignatureAlgorithm {
  readonly kind: 'signature';
  readonly name: string;
  readonly family: KeyFamily;
  readonly scheme: SignatureScheme;
  readonly operations: readonly KeyOperation[];
  /** Hash the digest was made with; undefined for RSNULL (raw value). */
  readonly hash: HashName | undefined;
  /** Exact digest length the caller must send; undefined for RSNULL. */
  readonly digestLength: number | undefined;
  readonly curve: CurveName | undefined;
}

export interface CipherAlgorithm {
  readonly kind: 'cipher';
  readonly name: string;
  readonly family: 'RSA' | 'oct';
  readonly scheme: CipherScheme;
  readonly operations: readonly KeyOperation[];
  /** Exact AES key size required; undefined when any AES size will do (or for RSA). */
  readonly aesKeyBits: AesSize | undefined;
  /** OAEP hash (also the MGF1 hash). */
  readonly oaepHash: 'sha1' | 'sha256' | undefined;
  /** Padding overhead of an RSA block: the plaintext may be at most k - rsaOverhead bytes. */
  readonly rsaOverhead: number | undefined;
  readonly iv: IvPolicy;
  readonly ivLength: number | undefined;
  readonly tagLength: number | undefined;
}

export type Algorithm = SignatureAlgorithm | CipherAlgorithm;

const SIGN_VERIFY = ['sign', 'verify'] as const;
const ENCRYPT_DECRYPT = ['encrypt', 'decrypt'] as const;
const ALL_CIPHER_OPS = ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] as const;

function signature(
  name: string,
  family: KeyFamily,
  scheme: SignatureScheme,
  hash: HashName | undefined,
  curve?: CurveName,
): SignatureAlgorithm {
  const digestLength = hash === undefined ? undefined : HASH_LENGTH[hash];
  return { kind: 'signature', name, family, scheme, operations: SIGN_VERIFY, hash, digestLength, curve };
}

function rsaCipher(name: string, scheme: 'rsa-oaep' | 'rsa-pkcs1', oaepHash?: 'sha1' | 'sha256'): CipherAlgorithm {
  // RFC 8017: PKCS#1 v1.5 needs 11 bytes of padding, OAEP needs 2*hLen + 2.
  const rsaOverhead = oaepHash === undefined ? 11 : 2 * HASH_LENGTH[oaepHash] + 2;
  return {
    kind: 'cipher',
    name,
    family: 'RSA',
    scheme,
    operations: ALL_CIPHER_OPS,
    aesKeyBits: undefined,
    oaepHash,
    rsaOverhead,
    iv: 'none',
    ivLength: undefined,
    tagLength: undefined,
  };
}

function aesCipher(name: string, scheme: CipherScheme, aesKeyBits: AesSize | undefined): CipherAlgorithm {
  const isWrap = scheme === 'aes-kw' || scheme === 'aes-kwp';
  const iv: IvPolicy = scheme === 'aes-gcm' ? 'server-generated' : isWrap ? 'none' : 'caller-or-generated';
  return {
    kind: 'cipher',
    name,
    family: 'oct',
    scheme,
    operations: isWrap ? ALL_CIPHER_OPS : ENCRYPT_DECRYPT,
    aesKeyBits,
    oaepHash: undefined,
    rsaOverhead: undefined,
    iv,
    ivLength: scheme === 'aes-gcm' ? 12 : isWrap ? undefined : 16,
    tagLength: scheme === 'aes-gcm' ? 16 : undefined,
  };
}

/** The registry. Keys are the wire names, compared case-sensitively as Key Vault does. */
export const ALGORITHMS = {
  ES256: signature('ES256', 'EC', 'ecdsa', 'sha256', 'P-256'),
  ES256K: signature('ES256K', 'EC', 'ecdsa', 'sha256', 'P-256K'),
  ES384: signature('ES384', 'EC', 'ecdsa', 'sha384', 'P-384'),
  ES512: signature('ES512', 'EC', 'ecdsa', 'sha512', 'P-521'),
  RS256: signature('RS256', 'RSA', 'rsa-pkcs1', 'sha256'),
  RS384: signature('RS384', 'RSA', 'rsa-pkcs1', 'sha384'),
  RS512: signature('RS512', 'RSA', 'rsa-pkcs1', 'sha512'),
  RSNULL: signature('RSNULL', 'RSA', 'rsa-pkcs1-raw', undefined),
  PS256: signature('PS256', 'RSA', 'rsa-pss', 'sha256'),
  PS384: signature('PS384', 'RSA', 'rsa-pss', 'sha384'),
  PS512: signature('PS512', 'RSA', 'rsa-pss', 'sha512'),
  HS256: signature('HS256', 'oct', 'hmac', 'sha256'),
  HS384: signature('HS384', 'oct', 'hmac', 'sha384'),
  HS512: signature('HS512', 'oct', 'hmac', 'sha512'),
  'RSA-OAEP-256': rsaCipher('RSA-OAEP-256', 'rsa-oaep', 'sha256'),
  'RSA-OAEP': rsaCipher('RSA-OAEP', 'rsa-oaep', 'sha1'),
  RSA1_5: rsaCipher('RSA1_5', 'rsa-pkcs1'),
  A128KW: aesCipher('A128KW', 'aes-kw', 128),
  A192KW: aesCipher('A192KW', 'aes-kw', 192),
  A256KW: aesCipher('A256KW', 'aes-kw', 256),
  CKM_AES_KEY_WRAP: aesCipher('CKM_AES_KEY_WRAP', 'aes-kw', undefined),
  CKM_AES_KEY_WRAP_PAD: aesCipher('CKM_AES_KEY_WRAP_PAD', 'aes-kwp', undefined),
  A128GCM: aesCipher('A128GCM', 'aes-gcm', 128),
  A192GCM: aesCipher('A192GCM', 'aes-gcm', 192),
  A256GCM: aesCipher('A256GCM', 'aes-gcm', 256),
  A128CBC: aesCipher('A128CBC', 'aes-cbc', 128),
  A192CBC: aesCipher('A192CBC', 'aes-cbc', 192),
  A256CBC: aesCipher('A256CBC', 'aes-cbc', 256),
  A128CBCPAD: aesCipher('A128CBCPAD', 'aes-cbc-pkcs7', 128),
  A192CBCPAD: aesCipher('A192CBCPAD', 'aes-cbc-pkcs7', 192),
  A256CBCPAD: aesCipher('A256CBCPAD', 'aes-cbc-pkcs7', 256),
} as const satisfies Record<string, Algorithm>;

export type AlgorithmName = keyof typeof ALGORITHMS;

/** What the registry needs to know about a key. */
export interface KeyDescription {
  readonly family: KeyFamily;
  readonly curve?: CurveName;
  readonly sizeBits: number;
}

export function describeKey(material: KeyMaterial): KeyDescription {
  return material.family === 'EC'
    ? { family: 'EC', curve: material.curve, sizeBits: 0 }
    : { family: material.family, sizeBits: material.sizeBits };
}

export function isAlgorithmName(name: string): name is AlgorithmName {
  return Object.hasOwn(ALGORITHMS, name);
}

/** The algorithms usable for an operation on a key, e.g. for listing in an error or a capability check. */
export function algorithmsFor(operation: KeyOperation, key: KeyDescription): AlgorithmName[] {
  const names = Object.keys(ALGORITHMS) as AlgorithmName[];
  return names.filter((name) => mismatch(ALGORITHMS[name], operation, key) === undefined);
}

/**
 * Looks up `name` for `operation` on `key`. Throws an invalid-request CryptoError naming the problem: unknown
 * algorithm, wrong operation, wrong key family, wrong curve or wrong AES key size.
 */
export function resolveAlgorithm(name: string, operation: KeyOperation, key: KeyDescription | KeyMaterial): Algorithm {
  if (!isAlgorithmName(name)) throw invalidCryptoRequest(`The algorithm ${quoteName(name)} is not supported.`);
  const algorithm: Algorithm = ALGORITHMS[name];
  const problem = mismatch(algorithm, operation, isKeyMaterial(key) ? describeKey(key) : key);
  if (problem !== undefined) throw invalidCryptoRequest(problem);
  return algorithm;
}

export function resolveSignatureAlgorithm(
  name: string,
  operation: 'sign' | 'verify',
  key: KeyDescription | KeyMaterial,
): SignatureAlgorithm {
  const algorithm = resolveAlgorithm(name, operation, key);
  if (algorithm.kind !== 'signature') throw new TypeError('registry: a sign/verify algorithm must be a signature');
  return algorithm;
}

export function resolveCipherAlgorithm(
  name: string,
  operation: 'encrypt' | 'decrypt' | 'wrapKey' | 'unwrapKey',
  key: KeyDescription | KeyMaterial,
): CipherAlgorithm {
  const algorithm = resolveAlgorithm(name, operation, key);
  if (algorithm.kind !== 'cipher') throw new TypeError('registry: a cipher operation needs a cipher algorithm');
  return algorithm;
}

function isKeyMaterial(key: KeyDescription | KeyMaterial): key is KeyMaterial {
  return 'privateKey' in key || 'secretKey' in key;
}

/** The reason `algorithm` cannot serve `operation` on `key`, or undefined if it can. */
function mismatch(algorithm: Algorithm, operation: KeyOperation, key: KeyDescription): string | undefined {
  const { name } = algorithm;
  if (!algorithm.operations.includes(operation)) {
    return `Algorithm ${name} cannot be used for ${operation}; it supports ${algorithm.operations.join(', ')}.`;
  }
  if (algorithm.family !== key.family) {
    return `Algorithm ${name} needs an ${algorithm.family} key; this key is ${key.family}.`;
  }
  if (algorithm.kind === 'signature' && algorithm.curve !== undefined && algorithm.curve !== key.curve) {
    return `Algorithm ${name} needs a ${algorithm.curve} key; this key is ${key.curve ?? 'of an unknown curve'}.`;
  }
  if (algorithm.kind === 'cipher' && algorithm.family === 'oct') return aesSizeMismatch(algorithm, key.sizeBits);
  return undefined;
}

function aesSizeMismatch(algorithm: CipherAlgorithm, sizeBits: number): string | undefined {
  if (algorithm.aesKeyBits !== undefined && algorithm.aesKeyBits !== sizeBits) {
    return `Algorithm ${algorithm.name} needs a ${algorithm.aesKeyBits}-bit AES key; this key is ${sizeBits}-bit.`;
  }
  if (!(AES_SIZES as readonly number[]).includes(sizeBits)) {
    return `Algorithm ${algorithm.name} needs an AES key of 128, 192 or 256 bits; this key is ${sizeBits}-bit.`;
  }
  return undefined;
}

/** Echo only well-formed names back; anything else is described, not repeated. */
function quoteName(name: string): string {
  return /^[A-Za-z0-9_-]{1,40}$/.test(name) ? name : '(unrecognised name)';
}
