/**
 * The custodians' files as `openssl req -newkey rsa:2048 -keyout cN.key -x509 -out cN.cer` makes them: a
 * certificate (PEM or DER) becomes the SecurityDomainJsonWebKey that a download sends, built as
 * `az keyvault security-domain download` builds it; a private key (PEM, PKCS#8 or PKCS#1, encrypted or not,
 * or DER) is read with its password. Every problem names the file.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { CommandFailure } from './command.ts';

/** One element of `certificates[]` in POST /securitydomain/download. */
export interface SecurityDomainJsonWebKey {
  kid: string;
  kty: 'RSA';
  key_ops: string[];
  n: string;
  e: string;
  x5c: string[];
  'x5t#S256': string;
  alg: 'RSA-OAEP-256';
  use: 'enc';
}

export function readCertificateJwk(file: string): SecurityDomainJsonWebKey {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(readFileSync(file));
  } catch (error) {
    throw new CommandFailure(`${file} is not a readable PEM or DER certificate (${messageOf(error)})`);
  }
  const key = certificate.publicKey;
  if (key.asymmetricKeyType !== 'rsa') throw new CommandFailure(`${file} is not an RSA certificate (its key is ${key.asymmetricKeyType ?? 'unknown'})`);
  const jwk = key.export({ format: 'jwk' });
  if (jwk.n === undefined || jwk.e === undefined) throw new CommandFailure(`${file}: cannot read the RSA public key`);
  return {
    kid: basename(file, extname(file)),
    kty: 'RSA',
    key_ops: ['verify', 'encrypt', 'wrapKey'],
    n: jwk.n,
    e: jwk.e,
    x5c: [certificate.raw.toString('base64')],
    'x5t#S256': createHash('sha256').update(certificate.raw).digest('base64url'),
    alg: 'RSA-OAEP-256',
    use: 'enc',
  };
}

/** A custodian's private key; `password` for an encrypted one (an empty string means none). */
export function readPrivateKey(file: string, password: string | undefined): KeyObject {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    throw new CommandFailure(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`);
  }
  const passphrase = password === undefined || password === '' ? undefined : password;
  const pem = data.includes('-----BEGIN');
  const encrypted = pem && /ENCRYPTED/.test(data.toString('latin1'));
  if (encrypted && passphrase === undefined) throw new CommandFailure(`${file} is encrypted: give its password with --passwords, in the order of the keys`);
  try {
    const key = pem
      ? createPrivateKey({ key: data, format: 'pem', ...(passphrase === undefined ? {} : { passphrase }) })
      : createPrivateKey({ key: data, format: 'der', type: 'pkcs8', ...(passphrase === undefined ? {} : { passphrase }) });
    if (key.asymmetricKeyType !== 'rsa') throw new CommandFailure(`${file} is not an RSA private key`);
    return key;
  } catch (error) {
    if (error instanceof CommandFailure) throw error;
    throw new CommandFailure(encrypted ? `cannot decrypt ${file}: wrong password?` : `${file} is not a readable private key (${messageOf(error)})`);
  } finally {
    data.fill(0);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
