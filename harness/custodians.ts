/**
 * Security-domain custodians for tests: RSA key pairs and self-signed certificates made by the real `openssl`
 * command a custodian runs (`openssl req -newkey rsa:2048 -nodes -keyout cN.key -x509 -days 365 -out cN.cer`),
 * and the SecurityDomainJsonWebKey a download request carries for each certificate.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Custodian {
  certificatePath: string;
  keyPath: string;
  certificatePem: string;
  privateKey: KeyObject;
  /** The certificate as POST /securitydomain/download takes it. */
  jwk: Record<string, unknown>;
}

export interface Custodians {
  dir: string;
  members: Custodian[];
  close(): void;
}

export function makeCustodians(count: number, options: { bits?: number; ec?: boolean } = {}): Custodians {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-custodians-'));
  const members = Array.from({ length: count }, (_, index) => {
    const keyPath = join(dir, `c${index + 1}.key`);
    const certificatePath = join(dir, `c${index + 1}.cer`);
    const newkey = options.ec === true ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', `rsa:${options.bits ?? 2048}`];
    execFileSync('openssl', ['req', ...newkey, '-nodes', '-keyout', keyPath, '-x509', '-days', '365', '-out', certificatePath, '-subj', `/CN=custodian${index + 1}`], { stdio: 'ignore' });
    const certificatePem = readFileSync(certificatePath, 'utf8');
    return { certificatePath, keyPath, certificatePem, privateKey: createPrivateKey(readFileSync(keyPath)), jwk: securityDomainJwk(certificatePem, `custodian${index + 1}`) };
  });
  return { dir, members, close: () => rmSync(dir, { recursive: true, force: true }) };
}

export function securityDomainJwk(certificatePem: string, kid: string): Record<string, unknown> {
  const certificate = new X509Certificate(certificatePem);
  const publicJwk = certificate.publicKey.export({ format: 'jwk' });
  return {
    kid,
    kty: publicJwk.kty,
    key_ops: ['wrapKey'],
    alg: 'RSA-OAEP-256',
    n: publicJwk.n,
    e: publicJwk.e,
    crv: publicJwk.crv,
    x: publicJwk.x,
    x5c: [certificate.raw.toString('base64')],
    'x5t#S256': createHash('sha256').update(certificate.raw).digest('base64url'),
  };
}
