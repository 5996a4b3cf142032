/**
 * The instance attestation identity: what signs key attestations (domain/keys/key-attestation.ts) and released
 * keys (secure key release), so that a relying party can check, offline, that a statement came from this
 * instance. Two keys, both made at the first start and shared by every node of a cluster:
 *
 *   root      ECDSA P-384, a self-signed CA certificate (25 years, pathLen 0); its certificate is what
 *             `strongroom attestation root` exports and a verifier pins
 *   signing   RSA-3072 (RS256, as Azure's release answers use), a certificate issued by the root (10 years,
 *             digitalSignature only)
 *
 * Each is one setting, {"certificatePem", "sealedPrivateKey"} (the `json-member` form of
 * node-identity-settings.ts), its private key sealed under the node-identity root, so under the security domain;
 * an upload of another domain re-seals both. The root is created first and kept with `putSettingIfAbsent`, and
 * the signing certificate is only ever issued by the root that won, so nodes starting at once agree on both.
 * The root's private key is kept (sealed) so that a later release can issue a new signing certificate.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { createHash, createPublicKey, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { RootOfTrust } from '../keystore/root-of-trust.ts';
import type { Store } from '../storage/store.ts';

export const ATTESTATION_ROOT_SETTING = 'attestation.root';
export const ATTESTATION_SIGNING_SETTING = 'attestation.signing-key';

export interface InstanceAttestation {
  /** The instance attestation root certificate (PEM). */
  readonly rootCertificatePem: string;
  /** The signing certificate chain, signing certificate first, root last (PEM each). */
  readonly chainPem: readonly string[];
  /** An RS256 compact JWS over `payload` (JSON), with the x5c chain in its header. */
  signJws(payload: unknown): string;
}

interface StoredCertifiedKey {
  certificatePem: string;
  sealedPrivateKey: string;
}

const ROOT_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const ROOT_SIGNING = { name: 'ECDSA', hash: 'SHA-384' } as const;
const SIGNING_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const ROOT_DAYS = 25 * 365;
const SIGNING_DAYS = 10 * 365;

function serialNumber(): string {
  // A positive 128-bit serial: the top bit cleared so that DER does not read it as negative.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function sealedPkcs8(root: RootOfTrust, key: webcrypto.CryptoKey, context: string): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  try {
    return root.seal(der, context).toString('base64');
  } finally {
    der.fill(0);
  }
}

async function createRoot(root: RootOfTrust, now: Date): Promise<StoredCertifiedKey> {
  const keys = await webcrypto.subtle.generateKey(ROOT_ALGORITHM, true, ['sign', 'verify']);
  const serial = serialNumber();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: `CN=Strongroom instance attestation root ${serial.slice(0, 8)}, O=Strongroom`,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + ROOT_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ROOT_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: certificate.toString('pem'), sealedPrivateKey: await sealedPkcs8(root, keys.privateKey, ATTESTATION_ROOT_SETTING) };
}

async function issueSigningKey(root: RootOfTrust, stored: StoredCertifiedKey, now: Date): Promise<StoredCertifiedKey> {
  const rootCertificate = new x509.X509Certificate(stored.certificatePem);
  const rootKeyDer = root.unseal(Buffer.from(stored.sealedPrivateKey, 'base64'), ATTESTATION_ROOT_SETTING);
  let rootKey: webcrypto.CryptoKey;
  try {
    rootKey = await webcrypto.subtle.importKey('pkcs8', rootKeyDer, ROOT_ALGORITHM, false, ['sign']);
  } finally {
    rootKeyDer.fill(0);
  }
  const keys = await webcrypto.subtle.generateKey(SIGNING_ALGORITHM, true, ['sign', 'verify']);
  const serial = serialNumber();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=Strongroom instance attestation signing ${serial.slice(0, 8)}, O=Strongroom`,
    issuer: rootCertificate.subject,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(Math.min(now.getTime() + SIGNING_DAYS * DAY_MS, rootCertificate.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: rootKey,
    signingAlgorithm: ROOT_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootCertificate),
    ],
  });
  return { certificatePem: certificate.toString('pem'), sealedPrivateKey: await sealedPkcs8(root, keys.privateKey, ATTESTATION_SIGNING_SETTING) };
}

/** A setting's JSON value, created (once, even with several nodes racing) when it is not set yet. */
async function settingOrCreate(store: Store, name: string, create: () => Promise<StoredCertifiedKey>): Promise<StoredCertifiedKey> {
  let value = await store.reader.settings.getSetting(name);
  if (value === undefined) {
    const created = JSON.stringify(await create());
    value = await store.transaction((unit) => unit.settings.putSettingIfAbsent(name, created));
  }
  return JSON.parse(value) as StoredCertifiedKey;
}

function derOf(pem: string): Buffer {
  return Buffer.from(new x509.X509Certificate(pem).rawData);
}

/** Opens (or on the first start creates) the instance attestation identity; `nodeIdentity` must be unlocked. */
export async function openInstanceAttestation(store: Store, nodeIdentity: RootOfTrust, now = new Date()): Promise<InstanceAttestation> {
  const rootSetting = await settingOrCreate(store, ATTESTATION_ROOT_SETTING, () => createRoot(nodeIdentity, now));
  const signingSetting = await settingOrCreate(store, ATTESTATION_SIGNING_SETTING, () => issueSigningKey(nodeIdentity, rootSetting, now));

  const rootCertificate = new x509.X509Certificate(rootSetting.certificatePem);
  const signingCertificate = new x509.X509Certificate(signingSetting.certificatePem);
  // A signing certificate from another root (a setting copied by hand, say) would sign statements nobody can check.
  if (!(await signingCertificate.verify({ publicKey: rootCertificate.publicKey, signatureOnly: true }))) {
    throw new Error('the attestation signing certificate is not issued by the instance attestation root');
  }
  const key = nodeIdentity.unsealPrivateKey(signingSetting.sealedPrivateKey, ATTESTATION_SIGNING_SETTING);
  const certificatePublicKey = createPublicKey({ key: Buffer.from(signingCertificate.publicKey.rawData), format: 'der', type: 'spki' });
  if (!certificatePublicKey.equals(createPublicKey(key))) throw new Error('the attestation signing key does not match its certificate');

  const signingDer = derOf(signingSetting.certificatePem);
  const rootDer = derOf(rootSetting.certificatePem);
  const x5tS256 = createHash('sha256').update(signingDer).digest('base64url');
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    // The kid names the signing certificate: its SHA-256 thumbprint, as x5t#S256.
    kid: x5tS256,
    // x5t is SHA-1 by definition (RFC 7515 §4.1.7): a certificate name, not a security property.
    x5t: createHash('sha1').update(signingDer).digest('base64url'),
    'x5t#S256': x5tS256,
    x5c: [signingDer.toString('base64'), rootDer.toString('base64')],
  };
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const pem = (certificate: x509.X509Certificate) => `${certificate.toString('pem')}\n`;
  return {
    rootCertificatePem: pem(rootCertificate),
    chainPem: [pem(signingCertificate), pem(rootCertificate)],
    signJws(payload) {
      const signingInput = `${encodedHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      return `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
    },
  };
}
