/**
 * Loader and typed face of the native addon (build/Release/strongroom_crypto.node, built by
 * scripts/build-native.ts). The addon exists because Node's crypto signs and verifies messages only (it always
 * hashes), whereas Key Vault signs caller-supplied digests, and because Node decrypts RSA only synchronously.
 *
 * The addon is loaded on first use, so importing the algorithm registry never needs it. Its location is
 * `<repo>/build/Release/strongroom_crypto.node`, or the absolute path in STRONGROOM_NATIVE_ADDON.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cryptoOperationFailed } from './crypto-error.ts';

/** Codes the addon takes; checked against the addon's own exported constants when it loads. */
export const SIGN_MODE = { ecdsa: 0, rsaPkcs1: 1, rsaPkcs1Raw: 2, rsaPss: 3 } as const;
export const DIGEST_ID = { none: 0, sha1: 1, sha256: 2, sha384: 3, sha512: 4 } as const;
export const RSA_PADDING = { pkcs1: 0, oaep: 1 } as const;

export type SignMode = (typeof SIGN_MODE)[keyof typeof SIGN_MODE];
export type DigestId = (typeof DIGEST_ID)[keyof typeof DIGEST_ID];
export type RsaPadding = (typeof RSA_PADDING)[keyof typeof RSA_PADDING];

/** One parsed OpenSSL key (EVP_PKEY), freed when the object is garbage-collected. */
export interface NativeKey {
  readonly isPrivate: boolean;
  /** Synchronous; for ECDSA the result is P1363 r||s. */
  signDigest(mode: SignMode, digest: DigestId, value: Uint8Array): Buffer;
  /** Same, computed on the libuv thread pool. */
  signDigestAsync(mode: SignMode, digest: DigestId, value: Uint8Array): Promise<Buffer>;
  /** False for any invalid or malformed signature; pssSaltLength defaults to the hash length. */
  verifyDigest(
    mode: SignMode,
    digest: DigestId,
    value: Uint8Array,
    signature: Uint8Array,
    pssSaltLength?: number,
  ): boolean;
  rsaDecrypt(padding: RsaPadding, oaepDigest: DigestId, ciphertext: Uint8Array): Buffer;
  rsaDecryptAsync(padding: RsaPadding, oaepDigest: DigestId, ciphertext: Uint8Array): Promise<Buffer>;
}

export interface NativeKeyConstructor {
  new (der: Uint8Array, format: 'pkcs8' | 'spki'): NativeKey;
}

export interface NativeAddon {
  readonly NativeKey: NativeKeyConstructor;
  readonly opensslVersion: string;
  /** OpenSSL >= 3.2: PKCS#1 v1.5 decryption uses implicit rejection (no padding oracle). */
  readonly implicitRejection: boolean;
  /**
   * The first `bytes` of the open file `fd`, mapped MAP_SHARED (native/shared-memory.cc): what every process that
   * maps or reads the file sees at once. Used by the node's change beacon (storage/change-beacon.ts).
   */
  mapShared(fd: number, bytes: number): ArrayBuffer;
}

/** The `code` of every error the addon raises for a failed operation (never for a bad argument). */
export const NATIVE_OPERATION_FAILED = 'ERR_STRONGROOM_NATIVE_OPERATION';

const EXPECTED_CONSTANTS: Readonly<Record<string, number>> = {
  SIGN_ECDSA: SIGN_MODE.ecdsa,
  SIGN_RSA_PKCS1: SIGN_MODE.rsaPkcs1,
  SIGN_RSA_PKCS1_RAW: SIGN_MODE.rsaPkcs1Raw,
  SIGN_RSA_PSS: SIGN_MODE.rsaPss,
  DIGEST_NONE: DIGEST_ID.none,
  DIGEST_SHA1: DIGEST_ID.sha1,
  DIGEST_SHA256: DIGEST_ID.sha256,
  DIGEST_SHA384: DIGEST_ID.sha384,
  DIGEST_SHA512: DIGEST_ID.sha512,
  RSA_PADDING_PKCS1: RSA_PADDING.pkcs1,
  RSA_PADDING_OAEP: RSA_PADDING.oaep,
};

let loaded: NativeAddon | undefined;

export function addonPath(): string {
  const override = process.env['STRONGROOM_NATIVE_ADDON'];
  if (override !== undefined && override !== '') return override;
  return fileURLToPath(new URL('../../build/Release/strongroom_crypto.node', import.meta.url));
}

/** The addon, loaded and checked once. Throws a plain Error (a deployment fault, not a request fault). */
export function nativeAddon(): NativeAddon {
  loaded ??= loadAddon(addonPath());
  return loaded;
}

function loadAddon(path: string): NativeAddon {
  let module: unknown;
  try {
    module = createRequire(import.meta.url)(path);
  } catch (error) {
    throw new Error(`The native crypto addon could not be loaded from ${path}; run "node scripts/build-native.ts".`, {
      cause: error,
    });
  }
  return checkAddon(module, path);
}

function checkAddon(module: unknown, path: string): NativeAddon {
  if (typeof module !== 'object' || module === null) throw new Error(`${path} is not the Strongroom crypto addon`);
  const candidate = module as Record<string, unknown>;
  const constants = candidate['constants'] as Record<string, unknown> | undefined;
  const constantsMatch = Object.entries(EXPECTED_CONSTANTS).every(([name, value]) => constants?.[name] === value);
  if (typeof candidate['NativeKey'] !== 'function' || typeof candidate['mapShared'] !== 'function' || !constantsMatch) {
    throw new Error(`${path} does not match this version of src/crypto/native.ts; rebuild it.`);
  }
  if (candidate['implicitRejection'] !== true) {
    throw new Error('The OpenSSL in this Node lacks implicit rejection for RSA PKCS#1 v1.5 decryption (needs >= 3.2).');
  }
  return module as NativeAddon;
}

export function isNativeOperationFailure(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === NATIVE_OPERATION_FAILED;
}

/** Runs a native call, turning an operation failure into the service's single crypto error (no oracle). */
export function withNativeFailure<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isNativeOperationFailure(error)) throw cryptoOperationFailed();
    throw error;
  }
}

export async function withNativeFailureAsync<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isNativeOperationFailure(error)) throw cryptoOperationFailed();
    throw error;
  }
}
