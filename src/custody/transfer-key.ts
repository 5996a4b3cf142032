/**
 * The transfer key: an RSA key pair this instance makes for a security domain upload (GET /securitydomain/upload),
 * with a self-signed certificate because the upload tooling wants `x5c` and names the key by the certificate's
 * SHA-256 thumbprint. The custodians' client wraps the recombined master key to its public half; only this
 * instance's private half opens it. The private key is stored sealed under the node-identity root, so any node
 * of a cluster can open an upload made for a key another node handed out.
 */
import 'reflect-metadata'; // @peculiar/x509 resolves its services through tsyringe, which needs the polyfill first.
import { createHash, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { RootOfTrust } from '../keystore/root-of-trust.ts';

const RSA_3072 = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
export const TRANSFER_KEY_SETTING = 'custody.transfer-key';

/** The public half as the REST answer carries it (a SecurityDomainJsonWebKey). */
export interface TransferKeyJwk {
  kty: 'RSA';
  kid: string;
  key_ops: string[];
  alg: 'RSA-OAEP-256';
  use: 'enc';
  n: string;
  e: string;
  x5c: string[];
  'x5t#S256': string;
}

export interface StoredTransferKey {
  jwk: TransferKeyJwk;
  /** base64 of the PKCS#8 private key sealed under the node-identity root. */
  sealedPrivateKey: string;
}

export async function createTransferKey(root: RootOfTrust, now = new Date()): Promise<StoredTransferKey> {
  const keys = await webcrypto.subtle.generateKey(RSA_3072, true, ['sign', 'verify']);
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex');
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: `CN=Strongroom security domain transfer key ${serial.slice(0, 8)}, O=Strongroom`,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + 7 * DAY_MS),
    keys,
    signingAlgorithm: RSA_3072,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment, true)],
  });
  const der = Buffer.from(certificate.rawData);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  try {
    const publicJwk = new X509Certificate(der).publicKey.export({ format: 'jwk' });
    const thumbprint = createHash('sha256').update(der).digest('base64url');
    return {
      jwk: {
        kty: 'RSA',
        kid: `transfer-key-${thumbprint.slice(0, 16)}`,
        key_ops: ['wrapKey', 'encrypt'],
        alg: 'RSA-OAEP-256',
        use: 'enc',
        n: publicJwk.n ?? '',
        e: publicJwk.e ?? '',
        x5c: [der.toString('base64')],
        'x5t#S256': thumbprint,
      },
      sealedPrivateKey: root.seal(pkcs8, TRANSFER_KEY_SETTING).toString('base64'),
    };
  } finally {
    pkcs8.fill(0);
  }
}

export function openTransferKey(root: RootOfTrust, stored: StoredTransferKey): { privateKey: KeyObject; x5tS256: string } {
  return { privateKey: root.unsealPrivateKey(stored.sealedPrivateKey, TRANSFER_KEY_SETTING), x5tS256: stored.jwk['x5t#S256'] };
}
