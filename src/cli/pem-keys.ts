/**
 * Key files as operators have them, read on the client side for `key import`, `byok blob` and `key download`:
 * RSA and EC private keys in PEM (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8), raw AES key files, public keys as
 * SPKI PEM. Messages name the file and the fault, never its content or the password.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CommandFailure, UsageError } from './command.ts';

/** Node's JWK curve names and the wire's (Key Vault says P-256K where Node says secp256k1). */
const WIRE_CURVES: Record<string, string> = { 'P-256': 'P-256', 'P-384': 'P-384', 'P-521': 'P-521', secp256k1: 'P-256K' };
const AES_KEY_BYTES = [16, 24, 32];

export function readKeyFile(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new CommandFailure(`cannot read ${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** The password of --pem-password or the first line of --pem-password-file (given one of them at most). */
export function passwordOf(inline: string | undefined, file: string | undefined, flags: [string, string]): string | undefined {
  if (inline !== undefined && file !== undefined) throw new UsageError(`${flags[0]} and ${flags[1]} are alternatives; give one`);
  if (file === undefined) return inline;
  return readKeyFile(file, flags[1]).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** An RSA or EC private key from PEM; a wrong or missing password, or a file without a private key, fails. */
export function privateKeyFromPem(pem: Buffer, file: string, password: string | undefined): KeyObject {
  if (!pem.toString('latin1').includes('-----BEGIN')) throw new CommandFailure(`${file} is not a PEM file`);
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem.toString('latin1'));
  if (encrypted && password === undefined) throw new CommandFailure(`${file} is encrypted; give its password (--pem-password or --pem-password-file)`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', ...(password === undefined ? {} : { passphrase: password }) });
  } catch {
    throw new CommandFailure(encrypted ? `cannot decrypt ${file}: wrong password, or the file is damaged` : `${file} holds no private key that can be read (PKCS#1, PKCS#8 or SEC1 PEM)`);
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    throw new CommandFailure(`${file} holds a ${key.asymmetricKeyType ?? 'unknown'} key; only RSA and EC keys can be imported`);
  }
  return key;
}

/** A raw AES key file: exactly 16, 24 or 32 bytes. */
export function isRawAesKey(content: Buffer): boolean {
  return AES_KEY_BYTES.includes(content.length) && !content.toString('latin1').includes('-----BEGIN');
}

/**
 * The private JWK Key Vault's import takes: `kty` RSA-HSM/EC-HSM, the wire curve name, every private member.
 * It holds the private key: it goes into the request body and nowhere else.
 */
export function privateJwkOf(key: KeyObject): Record<string, string> {
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  if (key.asymmetricKeyType === 'rsa') return { ...jwk, kty: 'RSA-HSM' };
  const crv = WIRE_CURVES[jwk['crv'] ?? ''];
  if (crv === undefined) throw new CommandFailure(`the key's curve (${jwk['crv'] ?? 'unknown'}) is not one Strongroom supports: P-256, P-256K, P-384, P-521`);
  return { ...jwk, kty: 'EC-HSM', crv };
}

/** The wire curve name of an EC key (P-256K for secp256k1). */
export function wireCurveOf(key: KeyObject): string | undefined {
  const jwk = key.export({ format: 'jwk' });
  return WIRE_CURVES[jwk.crv ?? ''];
}

/** A public key from a PEM (SPKI, PKCS#1 RSA PUBLIC KEY, or a certificate). */
export function publicKeyFromPem(pem: Buffer, file: string): KeyObject {
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new CommandFailure(`${file} holds no public key that can be read (SPKI or PKCS#1 PEM)`);
  }
}

/** SPKI PEM of the public key of a Key Vault JSON Web Key (RSA or EC). */
export function spkiPemOfJwk(jwk: Record<string, unknown>): string {
  const kty = String(jwk['kty'] ?? '');
  let key: KeyObject;
  if (kty.startsWith('RSA')) {
    key = createPublicKey({ key: { kty: 'RSA', n: String(jwk['n']), e: String(jwk['e']) }, format: 'jwk' });
  } else if (kty.startsWith('EC')) {
    const crv = jwk['crv'] === 'P-256K' ? 'secp256k1' : String(jwk['crv']);
    key = createPublicKey({ key: { kty: 'EC', crv, x: String(jwk['x']), y: String(jwk['y']) }, format: 'jwk' });
  } else {
    throw new CommandFailure(`the key is of type ${kty || 'unknown'}: a symmetric key has no public key to download`);
  }
  return key.export({ type: 'spki', format: 'pem' }).toString();
}
