/**
 * Checks a key bundle's attestation offline against an instance attestation root the verifier trusts (got out of
 * band: `strongroom attestation root`), as docs/key-attestation.md specifies: the chain up to that root, each
 * statement's signature, that the statements name the expected key and version, and that they describe the
 * bundle's key. Every failure is reported by what failed; nothing here trusts a certificate the bundle carries
 * unless it chains to the given root.
 */
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import {
  attestedPublicKey,
  jwkThumbprint,
  KEY_ATTESTATION_FORMAT,
  type AttestedPublicKey,
  type PrivateKeyStatement,
  type PublicKeyStatement,
} from './key-attestation-statement.ts';

export interface ExpectedKey {
  /** Compared case-insensitively (key names are). */
  name: string;
  /** Absent: whatever version the bundle is (the latest, as the server answered). */
  version?: string | undefined;
}

export interface AttestationReport {
  ok: boolean;
  failures: string[];
  kid?: string | undefined;
  version?: string | undefined;
  kty?: string | undefined;
  origin?: string | undefined;
  exportable?: boolean | undefined;
  publicKeyThumbprint?: string | undefined;
  attestedAt?: number | undefined;
  signingCertificate?: string | undefined;
  root?: string | undefined;
}

type Bundle = { key?: Record<string, unknown>; attributes?: Record<string, unknown> };

class Failure extends Error {}

function fail(message: string): never {
  throw new Failure(message);
}

function text(member: unknown, what: string): string {
  if (typeof member !== 'string' || member === '') fail(`the attestation has no ${what}`);
  return Buffer.from(member, 'base64url').toString('utf8');
}

function splitPem(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch {
    return fail('certificatePemFile holds a certificate that does not parse');
  }
}

/** The signing certificate of a JWS, once its x5c chain is shown to end at `root`. */
function chainedSigner(x5c: unknown, root: X509Certificate, now: Date): X509Certificate {
  if (!Array.isArray(x5c) || x5c.length !== 2 || !x5c.every((entry) => typeof entry === 'string')) fail('a statement header lacks its x5c chain [signing certificate, root]');
  let certificates: X509Certificate[];
  try {
    certificates = x5c.map((entry: string) => new X509Certificate(Buffer.from(entry, 'base64')));
  } catch {
    return fail('a statement x5c certificate does not parse');
  }
  const [signer, chainRoot] = certificates as [X509Certificate, X509Certificate];
  if (!chainRoot.raw.equals(root.raw)) fail('the attestation chains to another root than the one given (another instance?)');
  if (!signer.checkIssued(root) || !signer.verify(root.publicKey)) fail('the signing certificate is not issued by the given root');
  if (signer.ca) fail('the signing certificate is a CA certificate');
  for (const certificate of [signer, root]) {
    if (now < new Date(certificate.validFrom) || now > new Date(certificate.validTo)) fail(`certificate ${certificate.subject.replace(/\n/g, ', ')} is not valid now`);
  }
  return signer;
}

function verifiedPayload(jws: string, root: X509Certificate, now: Date): { payload: Record<string, unknown>; signer: X509Certificate } {
  const parts = jws.split('.');
  if (parts.length !== 3) fail('a statement is not a compact JWS');
  const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8')) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('a statement header or payload is not JSON');
  }
  if (header['alg'] !== 'RS256') fail(`a statement is signed with ${String(header['alg'])}, not RS256`);
  const signer = chainedSigner(header['x5c'], root, now);
  const valid = verify('sha256', Buffer.from(`${encodedHeader}.${encodedPayload}`), createPublicKey(signer.publicKey.export({ format: 'pem', type: 'spki' })), Buffer.from(signature, 'base64url'));
  if (!valid) fail('a statement signature does not verify with the signing certificate');
  if (payload['format'] !== KEY_ATTESTATION_FORMAT) fail(`a statement is not in format ${KEY_ATTESTATION_FORMAT}`);
  return { payload, signer };
}

function checkNames(statement: Record<string, unknown>, expected: ExpectedKey, bundleKid: string, bundleVersion: string): void {
  const kind = String(statement['statement']);
  if (typeof statement['name'] !== 'string' || statement['name'].toLowerCase() !== expected.name.toLowerCase()) fail(`the ${kind} statement names key ${String(statement['name'])}, not ${expected.name}`);
  if (expected.version !== undefined && statement['version'] !== expected.version) fail(`the ${kind} statement names version ${String(statement['version'])}, not ${expected.version}`);
  if (statement['version'] !== bundleVersion) fail(`the ${kind} statement names version ${String(statement['version'])}, the bundle is version ${bundleVersion}`);
  if (statement['kid'] !== bundleKid) fail(`the ${kind} statement names ${String(statement['kid'])}, the bundle is ${bundleKid}`);
}

function samePublicKey(a: AttestedPublicKey, b: AttestedPublicKey): boolean {
  return jwkThumbprint(a) === jwkThumbprint(b);
}

function bundleKey(bundle: Bundle): { kid: string; version: string; publicKey: AttestedPublicKey | undefined } {
  const key = bundle.key ?? fail('the answer has no key');
  const kid = typeof key['kid'] === 'string' ? key['kid'] : fail('the bundle key has no kid');
  const version = kid.split('/').at(-1) ?? '';
  const publicKey = attestedPublicKey(key);
  return { kid, version, publicKey };
}

function check(bundle: Bundle, rootPem: string, expected: ExpectedKey, now: Date, report: AttestationReport): void {
  let root: X509Certificate;
  try {
    root = new X509Certificate(rootPem);
  } catch {
    return fail('the given root is not a PEM certificate');
  }
  report.root = root.fingerprint256;
  const attestation = (bundle.attributes?.['attestation'] ?? fail('the bundle has no attributes.attestation')) as Record<string, unknown>;
  const chain = splitPem(text(attestation['certificatePemFile'], 'certificatePemFile'));
  if (chain.length !== 2 || !chain[1]!.raw.equals(root.raw)) fail('certificatePemFile does not end at the given root (another instance?)');
  const key = bundleKey(bundle);
  report.kid = key.kid;
  report.version = key.version;

  const privateSigned = verifiedPayload(text(attestation['privateKeyAttestation'], 'privateKeyAttestation'), root, now);
  if (!privateSigned.signer.raw.equals(chain[0]!.raw)) fail('privateKeyAttestation is signed by another certificate than certificatePemFile names');
  const privateStatement = privateSigned.payload as unknown as PrivateKeyStatement;
  if (privateStatement.statement !== 'private-key') fail('privateKeyAttestation is not a private-key statement');
  checkNames(privateSigned.payload, expected, key.kid, key.version);
  report.signingCertificate = privateSigned.signer.fingerprint256;
  report.kty = privateStatement.kty;
  report.origin = privateStatement.origin;
  report.exportable = privateStatement.exportable;
  report.attestedAt = privateStatement.iat;
  if (bundle.attributes?.['exportable'] !== undefined && bundle.attributes['exportable'] !== privateStatement.exportable) fail('the private-key statement and the bundle disagree on exportable');

  if (key.publicKey === undefined) {
    if (privateStatement.keyCommitment === undefined) fail('the private-key statement of a key without a public key carries no commitment');
    if (attestation['publicKeyAttestation'] !== undefined) fail('an oct key attestation carries a public-key statement');
    return;
  }
  const publicSigned = verifiedPayload(text(attestation['publicKeyAttestation'], 'publicKeyAttestation'), root, now);
  const publicStatement = publicSigned.payload as unknown as PublicKeyStatement;
  if (publicStatement.statement !== 'public-key') fail('publicKeyAttestation is not a public-key statement');
  checkNames(publicSigned.payload, expected, key.kid, key.version);
  if (!samePublicKey(publicStatement.publicKey, key.publicKey)) fail('the public-key statement attests another public key than the bundle key');
  const thumbprint = jwkThumbprint(key.publicKey);
  if (publicStatement.publicKeyThumbprint !== thumbprint || privateStatement.publicKeyThumbprint !== thumbprint) fail('a statement thumbprint is not that of the bundle key');
  report.publicKeyThumbprint = thumbprint;
}

export function verifyKeyAttestation(bundle: unknown, rootPem: string, expected: ExpectedKey, now = new Date()): AttestationReport {
  const report: AttestationReport = { ok: false, failures: [] };
  try {
    check((typeof bundle === 'object' && bundle !== null ? bundle : {}) as Bundle, rootPem, expected, now, report);
    report.ok = true;
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    report.failures.push(error.message);
  }
  return report;
}
