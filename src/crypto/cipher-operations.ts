/**
 * encrypt / decrypt / wrapKey / unwrapKey for every cipher algorithm in the registry. The registry decides
 * whether an algorithm fits the key and the operation; this module checks the request's parameters (iv, aad,
 * tag, sizes) and dispatches through a scheme -> engine table.
 *
 * Two rules shape the error handling:
 * - Request faults the caller can see for themselves (missing iv, plaintext too long for one RSA block,
 *   unaligned CBC input, a parameter the algorithm does not take) are invalid-request CryptoErrors with a
 *   precise message.
 * - Every failure while decrypting or unwrapping (bad tag, bad padding, failed integrity check, wrong
 *   ciphertext length) is the single cryptoOperationFailed() error: no padding or tag oracle (RFC 7516 §11.5,
 *   RFC 8017 §7.1.2 note).
 */
import { randomBytes } from 'node:crypto';
import { resolveCipherAlgorithm, type CipherAlgorithm, type CipherScheme } from './algorithms.ts';
import { aesCbcDecrypt, aesCbcEncrypt, AES_BLOCK_BYTES } from './aes-cbc.ts';
import { aesGcmDecrypt, aesGcmEncrypt, GCM_IV_BYTES } from './aes-gcm.ts';
import { invalidCryptoRequest } from './crypto-error.ts';
import type { KeyMaterial } from './key-material.ts';
import { octMaterial as oct, rsaMaterial as rsa, rsaModulusBytes } from './material-parts.ts';
import { isWrappableByRfc3394, rfc3394Unwrap, rfc3394Wrap } from './rfc3394.ts';
import { rfc5649Unwrap, rfc5649Wrap } from './rfc5649.ts';
import { rsaDecrypt, rsaEncrypt, type RsaEncryptionScheme } from './rsa-encryption.ts';

export interface EncryptInput {
  plaintext: Buffer;
  iv?: Buffer;
  aad?: Buffer;
}
export interface EncryptResult {
  ciphertext: Buffer;
  iv?: Buffer;
  tag?: Buffer;
  aad?: Buffer;
}
export interface DecryptInput {
  ciphertext: Buffer;
  iv?: Buffer;
  aad?: Buffer;
  tag?: Buffer;
}

interface CipherEngine {
  encrypt(key: KeyMaterial, algorithm: CipherAlgorithm, input: EncryptInput): EncryptResult;
  decrypt(key: KeyMaterial, algorithm: CipherAlgorithm, input: DecryptInput): Promise<Buffer> | Buffer;
}

function rsaEngine(scheme: RsaEncryptionScheme): CipherEngine {
  return {
    encrypt: (key, algorithm, { plaintext }) => {
      const material = rsa(key);
      const max = rsaModulusBytes(material) - (algorithm.rsaOverhead ?? 0);
      if (plaintext.length > max) {
        throw invalidCryptoRequest(
          `Algorithm ${algorithm.name} encrypts at most ${max} bytes with a ${material.sizeBits}-bit key; ` +
            `got ${plaintext.length} bytes.`,
        );
      }
      return { ciphertext: rsaEncrypt(material.publicKey, scheme, algorithm.oaepHash, plaintext) };
    },
    decrypt: (key, algorithm, { ciphertext }) =>
      rsaDecrypt(rsa(key).privateKey, scheme, algorithm.oaepHash, ciphertext),
  };
}

function cbcEngine(pkcs7: boolean): CipherEngine {
  return {
    encrypt: (key, algorithm, { plaintext, iv }) => {
      if (!pkcs7 && plaintext.length % AES_BLOCK_BYTES !== 0) {
        throw invalidCryptoRequest(
          `Algorithm ${algorithm.name} encrypts whole 16-byte blocks; got ${plaintext.length} bytes ` +
            '(the PAD variant pads).',
        );
      }
      // A random IV when the caller gives none: CBC needs an unpredictable IV (NIST SP 800-38A appendix C).
      const effectiveIv = nonEmpty(iv) ?? randomBytes(AES_BLOCK_BYTES);
      return { ciphertext: aesCbcEncrypt(oct(key).secretKey, effectiveIv, plaintext, pkcs7), iv: effectiveIv };
    },
    decrypt: (key, _algorithm, { ciphertext, iv }) =>
      aesCbcDecrypt(oct(key).secretKey, present(iv, 'iv'), ciphertext, pkcs7),
  };
}

const ENGINES: Readonly<Record<CipherScheme, CipherEngine>> = {
  'rsa-oaep': rsaEngine('rsa-oaep'),
  'rsa-pkcs1': rsaEngine('rsa-pkcs1'),
  'aes-gcm': {
    encrypt: (key, _algorithm, { plaintext, aad }) => {
      // The service owns IV uniqueness: a fresh random 96-bit IV per message (NIST SP 800-38D §8.2.2).
      const iv = randomBytes(GCM_IV_BYTES);
      const { ciphertext, tag } = aesGcmEncrypt(oct(key).secretKey, iv, plaintext, nonEmpty(aad));
      return nonEmpty(aad) === undefined ? { ciphertext, iv, tag } : { ciphertext, iv, tag, aad };
    },
    decrypt: (key, _algorithm, { ciphertext, iv, tag, aad }) =>
      aesGcmDecrypt(oct(key).secretKey, present(iv, 'iv'), ciphertext, present(tag, 'tag'), nonEmpty(aad)),
  },
  'aes-cbc': cbcEngine(false),
  'aes-cbc-pkcs7': cbcEngine(true),
  'aes-kw': {
    encrypt: (key, algorithm, { plaintext }) => {
      if (!isWrappableByRfc3394(plaintext)) {
        throw invalidCryptoRequest(
          `Algorithm ${algorithm.name} wraps keys of at least 16 bytes in multiples of 8; ` +
            `got ${plaintext.length} bytes (CKM_AES_KEY_WRAP_PAD takes any length).`,
        );
      }
      return { ciphertext: rfc3394Wrap(oct(key).secretKey, plaintext) };
    },
    decrypt: (key, _algorithm, { ciphertext }) => rfc3394Unwrap(oct(key).secretKey, ciphertext),
  },
  'aes-kwp': {
    encrypt: (key, algorithm, { plaintext }) => {
      if (plaintext.length === 0) {
        throw invalidCryptoRequest(`Algorithm ${algorithm.name} needs at least one byte to wrap.`);
      }
      return { ciphertext: rfc5649Wrap(oct(key).secretKey, plaintext) };
    },
    decrypt: (key, _algorithm, { ciphertext }) => rfc5649Unwrap(oct(key).secretKey, ciphertext),
  },
};

export async function encrypt(key: KeyMaterial, alg: string, input: EncryptInput): Promise<EncryptResult> {
  const algorithm = resolveCipherAlgorithm(alg, 'encrypt', key);
  checkParameters(algorithm, 'encrypt', input);
  return ENGINES[algorithm.scheme].encrypt(key, algorithm, input);
}

export async function decrypt(key: KeyMaterial, alg: string, input: DecryptInput): Promise<Buffer> {
  const algorithm = resolveCipherAlgorithm(alg, 'decrypt', key);
  checkParameters(algorithm, 'decrypt', input);
  return ENGINES[algorithm.scheme].decrypt(key, algorithm, input);
}

export async function wrapKey(key: KeyMaterial, alg: string, keyToWrap: Buffer): Promise<Buffer> {
  const algorithm = resolveCipherAlgorithm(alg, 'wrapKey', key);
  return ENGINES[algorithm.scheme].encrypt(key, algorithm, { plaintext: keyToWrap }).ciphertext;
}

export async function unwrapKey(key: KeyMaterial, alg: string, wrapped: Buffer): Promise<Buffer> {
  const algorithm = resolveCipherAlgorithm(alg, 'unwrapKey', key);
  return ENGINES[algorithm.scheme].decrypt(key, algorithm, { ciphertext: wrapped });
}

type Rule = 'required' | 'optional' | 'refused';
type ParameterRules = Readonly<Record<'iv' | 'aad' | 'tag', Rule>>;

const NO_PARAMETERS: ParameterRules = { iv: 'refused', aad: 'refused', tag: 'refused' };
const CBC_ENCRYPT: ParameterRules = { iv: 'optional', aad: 'refused', tag: 'refused' };
const CBC_DECRYPT: ParameterRules = { iv: 'required', aad: 'refused', tag: 'refused' };

/** Which request parameters each scheme takes, per direction. GCM's encrypt IV is the service's to choose. */
const PARAMETERS: Readonly<Record<CipherScheme, Readonly<Record<'encrypt' | 'decrypt', ParameterRules>>>> = {
  'rsa-oaep': { encrypt: NO_PARAMETERS, decrypt: NO_PARAMETERS },
  'rsa-pkcs1': { encrypt: NO_PARAMETERS, decrypt: NO_PARAMETERS },
  'aes-kw': { encrypt: NO_PARAMETERS, decrypt: NO_PARAMETERS },
  'aes-kwp': { encrypt: NO_PARAMETERS, decrypt: NO_PARAMETERS },
  'aes-cbc': { encrypt: CBC_ENCRYPT, decrypt: CBC_DECRYPT },
  'aes-cbc-pkcs7': { encrypt: CBC_ENCRYPT, decrypt: CBC_DECRYPT },
  'aes-gcm': {
    encrypt: { iv: 'refused', aad: 'optional', tag: 'refused' },
    decrypt: { iv: 'required', aad: 'optional', tag: 'required' },
  },
};

function checkParameters(
  algorithm: CipherAlgorithm,
  direction: 'encrypt' | 'decrypt',
  input: EncryptInput | DecryptInput,
): void {
  const rules = PARAMETERS[algorithm.scheme][direction];
  const tag = 'tag' in input ? input.tag : undefined;
  const given = { iv: nonEmpty(input.iv), aad: nonEmpty(input.aad), tag: nonEmpty(tag) };
  for (const name of ['iv', 'aad', 'tag'] as const) {
    if (rules[name] === 'required' && given[name] === undefined) {
      throw invalidCryptoRequest(`Algorithm ${algorithm.name} needs the '${name}' parameter for ${direction}.`);
    }
    if (rules[name] === 'refused' && given[name] !== undefined) {
      throw invalidCryptoRequest(
        name === 'iv' && algorithm.iv === 'server-generated'
          ? `Algorithm ${algorithm.name} generates its own iv; do not send one.`
          : `Algorithm ${algorithm.name} does not take the '${name}' parameter for ${direction}.`,
      );
    }
  }
  const { iv } = given;
  if (iv !== undefined && algorithm.ivLength !== undefined && iv.length !== algorithm.ivLength) {
    throw invalidCryptoRequest(
      `Algorithm ${algorithm.name} needs a ${algorithm.ivLength}-byte iv; this one is ${iv.length} bytes.`,
    );
  }
}

/** Zero-length parameters count as absent (clients send "" for "none"). */
function nonEmpty(value: Buffer | undefined): Buffer | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}

/** A parameter checkParameters has already required. */
function present(value: Buffer | undefined, name: string): Buffer {
  if (value === undefined) throw new TypeError(`cipher-operations: '${name}' should have been required`);
  return value;
}
