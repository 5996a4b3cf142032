/**
 * The embedded default's TLS: a private certificate authority made on first start, and a short-lived server
 * certificate issued from it at every start (so names added by an option take effect on the next start and the
 * server key never needs to be stored). Clients trust `<data-dir>/tls/ca.pem`.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;


/** The names every generated server certificate covers, before any given by an option. */
export const DEFAULT_SERVER_NAMES = ['localhost', '127.0.0.1', '*.vault.localhost', '*.managedhsm.localhost'] as const;

export interface CertificateAuthority {
  certificatePem: string;
  /** PKCS#8 DER of the CA's private key; the caller seals it before storing. */
  privateKeyDer: Buffer;
}

export interface ServerCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

export async function createCertificateAuthority(now = new Date()): Promise<CertificateAuthority> {
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex');
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: `CN=Strongroom local CA ${serial.slice(0, 8)}, O=Strongroom`,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 3650 * DAY_MS),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const privateKeyDer = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certificatePem: certificate.toString('pem'), privateKeyDer };
}

export async function issueServerCertificate(
  ca: CertificateAuthority,
  names: readonly string[],
  now = new Date(),
): Promise<ServerCertificate> {
  const caCertificate = new x509.X509Certificate(ca.certificatePem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', ca.privateKeyDer, ECDSA_P256, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const uniqueNames = [...new Set(names.map((name) => name.toLowerCase()))];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex'),
    subject: `CN=${uniqueNames[0] ?? 'localhost'}`,
    issuer: caCertificate.subject,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 90 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        uniqueNames.map((name) => ({ type: isIP(name) === 0 ? 'dns' : 'ip', value: name }) as const),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
    ],
  });
  const privateKeyDer = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    certificatePem: `${certificate.toString('pem')}\n${ca.certificatePem}\n`,
    privateKeyPem: createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string,
  };
}
