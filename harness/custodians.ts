/**
 * Custodian certificates and keys made the way a custodian makes them, with the real `openssl` command
 * (`openssl req -newkey rsa:2048 -nodes -keyout cN.key -x509 -days 365 -out cN.cer -subj /CN=custodianN`),
 * in a temporary directory, plus the SecurityDomainJsonWebKey a client sends for each. Shared by the unit
 * tests of the file format, the API tests and the CLI tests.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Custodian {
  name: string;
  keyFile: string;
  certFile: string;
  certificatePem: string;
  privateKey: KeyObject;
  /** The SecurityDomainJsonWebKey of the certificate. */
  jwk: Record<string, unknown>;
}

export interface CustodianDirectory {
  dir: string;
  /** `newkey`: other `-newkey` arguments; `sameKeyAs`: a second certificate for another custodian's key. */
  make(name: string, options?: { newkey?: string[]; password?: string; sameKeyAs?: Custodian }): Custodian;
  remove(): void;
}

export function custodianDirectory(): CustodianDirectory {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-custodians-'));
  return {
    dir,
    make(name, options = {}) {
      const keyFile = join(dir, `${name}.key`);
      const certFile = join(dir, `${name}.cer`);
      const newkey = options.newkey ?? ['-newkey', 'rsa:2048'];
      const secret = options.password === undefined ? ['-nodes'] : ['-passout', `pass:${options.password}`];
      const key = options.sameKeyAs === undefined ? [...newkey, ...secret, '-keyout', keyFile] : ['-new', '-key', options.sameKeyAs.keyFile];
      execFileSync('openssl', ['req', ...key, '-x509', '-days', '365', '-out', certFile, '-subj', `/CN=${name}`], { stdio: 'ignore' });
      const certificatePem = readFileSync(certFile, 'utf8');
      const pem = readFileSync(options.sameKeyAs?.keyFile ?? keyFile, 'utf8');
      const privateKey = createPrivateKey(options.password === undefined ? pem : { key: pem, passphrase: options.password });
      return { name, keyFile, certFile, certificatePem, privateKey, jwk: securityDomainJwk(certificatePem, name) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What `az keyvault security-domain download` sends for one certificate. */
export function securityDomainJwk(certificatePem: string, kid: string): Record<string, unknown> {
  const certificate = new X509Certificate(certificatePem);
  const jwk = certificate.publicKey.export({ format: 'jwk' });
  return {
    kid,
    kty: jwk.kty,
    key_ops: ['verify', 'encrypt', 'wrapKey'],
    n: jwk.n,
    e: jwk.e,
    x5c: [certificate.raw.toString('base64')],
    'x5t#S256': createHash('sha256').update(certificate.raw).digest('base64url'),
    alg: 'RSA-OAEP-256',
    use: 'enc',
  };
}

export interface Custodians {
  dir: string;
  members: Custodian[];
  close(): void;
}

/** `count` custodians `custodian1…N` with RSA-2048 keys (or EC P-256 ones, which a download must refuse). */
export function makeCustodians(count: number, options: { ec?: boolean } = {}): Custodians {
  const directory = custodianDirectory();
  const newkey = options.ec === true ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : undefined;
  const members = Array.from({ length: count }, (_, index) => directory.make(`custodian${index + 1}`, { newkey }));
  return { dir: directory.dir, members, close: () => directory.remove() };
}
