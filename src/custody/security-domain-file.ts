/**
 * The security domain file and the upload blob: the two documents that carry a domain key out of an instance
 * and into another (reference §5.5), shared by the server (download, upload) and the CLI (the custodians' side).
 *
 * Download: a fresh random master key is split with Shamir's scheme (`shamir-secret-sharing`, audited) into
 * one share per custodian certificate, each share a compact JWE (RSA-OAEP-256 + A256GCM) to that certificate;
 * the domain key itself is a JWE (dir + A256GCM) under a key derived from the master key (HKDF-SHA256, the
 * label recorded as the datum's `tag`). Any `required` custodians recombine the master key and open the datum;
 * fewer recombine a wrong key, which AES-GCM then refuses. The layout follows Microsoft's file (`EncData`,
 * `SharedKeys`) but the primitives are ours (HKDF + GCM, not SP800-108 + CBC-HS512), named in the file.
 *
 * Upload: the custodian recombines locally, then sends the datum re-encrypted under a fresh master key, that
 * master key wrapped to the instance's transfer key (`WrappedKey`). The server alone can open it.
 *
 * Every failure a client or custodian can cause is a SecurityDomainFormatError whose message is safe to show.
 */
import 'reflect-metadata'; // @peculiar/x509 resolves its services through tsyringe, which needs the polyfill first.
import { createHash, createPublicKey, hkdfSync, randomBytes, type KeyObject, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { X509Certificate } from '@peculiar/x509';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { combine, split } from 'shamir-secret-sharing';
import { decodeBase64Lenient } from '../lib/base64url.ts';

export interface DomainSecret { key: Buffer /* 32 bytes, the domain key */; id: string /* domain id, opaque string */ }
/** A custodian's certificate as sent in POST /securitydomain/download `certificates[]` (SecurityDomainJsonWebKey). */
export interface CustodianCertificate { kid: string; publicKey: KeyObject /* RSA */; x5tS256: string /* b64url SHA-256 of x5c[0] DER */ }

/** The message is safe to show a client (400 BadParameter text) or a custodian. */
export class SecurityDomainFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecurityDomainFormatError';
  }
}

const FORMAT_VERSION = '1.0';
const KDF = 'hkdf-sha256';
/** The HKDF label of the one datum (the domain key); a later datum gets its own tag. */
const DOMAIN_KEY_TAG = 'strongroom/security-domain/domain-key/v1';
const MASTER_KEY_BYTES = 32;
const DOMAIN_KEY_BYTES = 32;
const MIN_RSA_BITS = 2048;
const CERTIFICATES = { min: 3, max: 10 } as const;
const QUORUM = { min: 2, max: 10, default: 2 } as const;
const SHARE_ALG = { alg: 'RSA-OAEP-256', enc: 'A256GCM' } as const;
const CORRUPT = 'The security domain file is corrupt or was tampered with';

interface EncData { data: { compact_jwe: string; tag: string }[]; kdf: string }
interface SecurityDomainDocument {
  EncData: EncData;
  SharedKeys: { enc_shares: { enc_key: string; x5t_256: string }[]; required: number };
  version: string;
  domain_id: string;
}
interface UploadDocument { EncData: EncData; WrappedKey: { enc_key: string; x5t_256: string }; version: string; domain_id: string }

/** Validates the download body: 3..10 RSA certificates, distinct, and a quorum 2..10 no larger than their count. */
export function parseCertificateInfo(body: unknown): { certificates: CustodianCertificate[]; required: number } {
  if (!isRecord(body)) throw new SecurityDomainFormatError('The request body must be a JSON object with certificates and required');
  const list = body['certificates'];
  if (!Array.isArray(list) || list.length < CERTIFICATES.min || list.length > CERTIFICATES.max) {
    throw new SecurityDomainFormatError(`certificates must be an array of ${CERTIFICATES.min} to ${CERTIFICATES.max} certificates`);
  }
  const raw = body['required'] ?? QUORUM.default;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < QUORUM.min || raw > QUORUM.max) {
    throw new SecurityDomainFormatError(`required must be a whole number from ${QUORUM.min} to ${QUORUM.max}`);
  }
  if (raw > list.length) throw new SecurityDomainFormatError(`required (${raw}) cannot exceed the number of certificates (${list.length})`);
  const certificates = list.map((jwk: unknown, index) => parseSecurityDomainJwk(jwk, `certificates[${index}]`));
  // One custodian key opening two shares would let fewer people than the quorum recombine the domain.
  const seen = new Set<string>();
  certificates.forEach((certificate, index) => {
    const spki = spkiOf(certificate.publicKey);
    if (seen.has(certificate.x5tS256) || seen.has(spki)) throw new SecurityDomainFormatError(`certificates[${index}] duplicates another certificate or its key`);
    seen.add(certificate.x5tS256).add(spki);
  });
  return { certificates, required: raw };
}

/** The transfer key an instance offers (GET /securitydomain/upload `transfer_key`). */
export function parseTransferKey(transferKey: unknown): CustodianCertificate {
  return parseSecurityDomainJwk(transferKey, 'transfer_key');
}

/** The security domain file (the `value` of the download answer): a fresh master key per call, split among the certificates. */
export async function createSecurityDomainFile(domain: DomainSecret, certificates: CustodianCertificate[], required: number): Promise<string> {
  if (certificates.length < CERTIFICATES.min || certificates.length > CERTIFICATES.max || required < QUORUM.min || required > certificates.length) {
    throw new SecurityDomainFormatError('certificates and required are out of range');
  }
  const master = randomBytes(MASTER_KEY_BYTES);
  try {
    // The library wants plain Uint8Arrays (it compares constructors), so it gets views, never copies.
    const shares = await split(plainBytes(master), certificates.length, required);
    const encShares = await Promise.all(
      shares.map(async (share, index) => {
        const certificate = certificates[index] as CustodianCertificate;
        const encKey = await encryptTo(certificate, share);
        share.fill(0);
        return { enc_key: encKey, x5t_256: certificate.x5tS256 };
      }),
    );
    const document: SecurityDomainDocument = {
      EncData: await encryptDomain(domain, master),
      SharedKeys: { enc_shares: encShares, required },
      version: FORMAT_VERSION,
      domain_id: domain.id,
    };
    return JSON.stringify(document);
  } finally {
    master.fill(0);
  }
}

/** Custodian side: opens shares with the given private keys, recombines at least `required` of them, opens EncData. */
export async function recoverDomainSecret(
  file: string,
  custodianKeys: { privateKey: KeyObject; certificate?: X509Certificate | NodeX509Certificate | string /* PEM */ }[],
): Promise<DomainSecret> {
  const document = parseSecurityDomainDocument(file);
  const { enc_shares: encShares, required } = document.SharedKeys;
  if (custodianKeys.length < required) {
    throw new SecurityDomainFormatError(`This security domain needs ${required} custodian keys; ${custodianKeys.length} given`);
  }
  const opened = new Map<number, Uint8Array>();
  try {
    for (const [keyIndex, custodian] of custodianKeys.entries()) {
      const found = await openOneShare(encShares, custodian, keyIndex);
      if (opened.has(found.index)) {
        found.share.fill(0);
        throw new SecurityDomainFormatError(`Key ${keyIndex + 1} opens the same share as another key: give keys of ${required} different custodians`);
      }
      opened.set(found.index, found.share);
    }
    const combined = await combine([...opened.values()].map(plainBytes));
    const master = Buffer.from(combined.buffer, combined.byteOffset, combined.byteLength);
    try {
      return await decryptDomain(document.EncData, master, document.domain_id, 'The shares do not recombine into this security domain (a corrupt file?)');
    } finally {
      master.fill(0);
    }
  } finally {
    for (const share of opened.values()) share.fill(0);
  }
}

/** The upload blob (the `value` of POST /securitydomain/upload): EncData under a fresh master key wrapped to the transfer key. */
export async function createUploadBlob(domain: DomainSecret, transferKey: CustodianCertificate): Promise<string> {
  const master = randomBytes(MASTER_KEY_BYTES);
  try {
    const document: UploadDocument = {
      EncData: await encryptDomain(domain, master),
      WrappedKey: { enc_key: await encryptTo(transferKey, master), x5t_256: transferKey.x5tS256 },
      version: FORMAT_VERSION,
      domain_id: domain.id,
    };
    return JSON.stringify(document);
  } finally {
    master.fill(0);
  }
}

/** Server side: opens an upload blob with the instance's transfer private key. */
export async function openUploadBlob(blob: string, transferKey: { privateKey: KeyObject; x5tS256: string }): Promise<DomainSecret> {
  const document = parseUploadDocument(blob);
  if (document.WrappedKey.x5t_256 !== transferKey.x5tS256) {
    throw new SecurityDomainFormatError('The security domain blob was made for another transfer key: fetch this instance\'s transfer key (GET /securitydomain/upload) and build the blob again');
  }
  const tampered = 'The security domain blob is corrupt or was tampered with';
  const master = await decryptFrom(document.WrappedKey.enc_key, transferKey.privateKey).catch(() => undefined);
  if (master === undefined || master.length !== MASTER_KEY_BYTES) throw new SecurityDomainFormatError(tampered);
  try {
    return await decryptDomain(document.EncData, master, document.domain_id, tampered);
  } finally {
    master.fill(0);
  }
}

// ---- certificates -------------------------------------------------------------------------------------------

/** A SecurityDomainJsonWebKey: kty RSA, n and e equal to x5c[0]'s key (>= 2048 bits), x5t#S256 if present matches. */
function parseSecurityDomainJwk(jwk: unknown, where: string): CustodianCertificate {
  if (!isRecord(jwk)) throw new SecurityDomainFormatError(`${where} must be a JSON web key`);
  if (jwk['kty'] !== 'RSA') throw new SecurityDomainFormatError(`${where}: kty must be RSA`);
  const { n, e, x5c, kid } = jwk;
  if (typeof n !== 'string' || typeof e !== 'string') throw new SecurityDomainFormatError(`${where}: n and e are required`);
  if (!Array.isArray(x5c) || x5c.length === 0 || typeof x5c[0] !== 'string') throw new SecurityDomainFormatError(`${where}: x5c (the certificate chain) is required`);
  if (kid !== undefined && typeof kid !== 'string') throw new SecurityDomainFormatError(`${where}: kid must be a string`);
  if (jwk['alg'] !== undefined && jwk['alg'] !== SHARE_ALG.alg) throw new SecurityDomainFormatError(`${where}: alg must be ${SHARE_ALG.alg}`);
  const der = decodeBase64Lenient(x5c[0]);
  const publicKey = der === undefined || der.length === 0 ? undefined : certificatePublicKey(der);
  if (der === undefined || publicKey === undefined) throw new SecurityDomainFormatError(`${where}: x5c[0] is not a base64 DER X.509 certificate`);
  if (publicKey.asymmetricKeyType !== 'rsa') throw new SecurityDomainFormatError(`${where}: the certificate's key is not an RSA key`);
  if ((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) throw new SecurityDomainFormatError(`${where}: the RSA key must be at least ${MIN_RSA_BITS} bits`);
  const actual = publicKey.export({ format: 'jwk' });
  if (!sameInteger(n, actual.n) || !sameInteger(e, actual.e)) throw new SecurityDomainFormatError(`${where}: n and e do not match the certificate's public key`);
  const x5tS256 = thumbprintOf(der);
  const given = jwk['x5t#S256'];
  if (given !== undefined && (typeof given !== 'string' || !sameBytes(decodeBase64Lenient(given), decodeBase64Lenient(x5tS256)))) {
    throw new SecurityDomainFormatError(`${where}: x5t#S256 is not the SHA-256 thumbprint of x5c[0]`);
  }
  return { kid: kid ?? x5tS256, publicKey, x5tS256 };
}

/** The public key of a DER certificate, or undefined when it does not parse. */
function certificatePublicKey(der: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(new X509Certificate(der).publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

function thumbprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

function certificateThumbprint(certificate: X509Certificate | NodeX509Certificate | string): string {
  if (certificate instanceof NodeX509Certificate) return thumbprintOf(certificate.raw);
  const parsed = typeof certificate === 'string' ? new X509Certificate(certificate) : certificate;
  return thumbprintOf(new Uint8Array(parsed.rawData));
}

function spkiOf(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).toString('base64');
}

// ---- JWE ----------------------------------------------------------------------------------------------------

async function encryptTo(recipient: CustodianCertificate, plaintext: Uint8Array): Promise<string> {
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ ...SHARE_ALG, kid: recipient.kid, 'x5t#S256': recipient.x5tS256 })
    .encrypt(recipient.publicKey);
}

async function decryptFrom(jwe: string, privateKey: KeyObject): Promise<Buffer> {
  const { plaintext } = await compactDecrypt(jwe, privateKey, { keyManagementAlgorithms: [SHARE_ALG.alg], contentEncryptionAlgorithms: [SHARE_ALG.enc] });
  const copy = Buffer.from(plaintext);
  plaintext.fill(0);
  return copy;
}

/** The domain key under HKDF(master, tag); the domain id rides in the protected header, so it is authenticated. */
async function encryptDomain(domain: DomainSecret, master: Buffer): Promise<EncData> {
  if (domain.key.length !== DOMAIN_KEY_BYTES) throw new TypeError(`A domain key is ${DOMAIN_KEY_BYTES} bytes`);
  const key = datumKey(master, DOMAIN_KEY_TAG);
  try {
    const jwe = await new CompactEncrypt(domain.key).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', domain_id: domain.id }).encrypt(key);
    return { data: [{ compact_jwe: jwe, tag: DOMAIN_KEY_TAG }], kdf: KDF };
  } finally {
    key.fill(0);
  }
}

async function decryptDomain(encData: EncData, master: Buffer, domainId: string, failure: string): Promise<DomainSecret> {
  const datum = encData.data.find((entry) => entry.tag === DOMAIN_KEY_TAG);
  if (encData.kdf !== KDF || datum === undefined) throw new SecurityDomainFormatError(`${CORRUPT}: unknown kdf or no domain key datum`);
  const key = datumKey(master, datum.tag);
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(datum.compact_jwe, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    const secret = Buffer.from(plaintext);
    plaintext.fill(0);
    if (secret.length !== DOMAIN_KEY_BYTES || protectedHeader['domain_id'] !== domainId) throw new SecurityDomainFormatError(failure);
    return { key: secret, id: domainId };
  } catch (error) {
    if (error instanceof SecurityDomainFormatError) throw error;
    throw new SecurityDomainFormatError(failure);
  } finally {
    key.fill(0);
  }
}

function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function datumKey(master: Buffer, tag: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), tag, 32));
}

/** Opens the share a custodian key belongs to: the one of its certificate, or, without one, the first it opens. */
async function openOneShare(
  encShares: SecurityDomainDocument['SharedKeys']['enc_shares'],
  custodian: { privateKey: KeyObject; certificate?: X509Certificate | NodeX509Certificate | string },
  keyIndex: number,
): Promise<{ index: number; share: Uint8Array }> {
  const name = `Key ${keyIndex + 1}`;
  const privateKey = custodian.privateKey.type === 'private' ? custodian.privateKey : undefined;
  if (privateKey?.asymmetricKeyType !== 'rsa') throw new SecurityDomainFormatError(`${name} is not an RSA private key`);
  // Every share is tried, opened ones too: a download refuses duplicate keys, so a key opens one share only,
  // and the caller can tell a key given twice from a key of no custodian.
  let candidates = encShares.map((_, index) => index);
  if (custodian.certificate !== undefined) {
    let thumbprint: string;
    try {
      thumbprint = certificateThumbprint(custodian.certificate);
    } catch {
      throw new SecurityDomainFormatError(`${name}: its certificate is not a PEM X.509 certificate`);
    }
    candidates = encShares.flatMap((entry, index) => (entry.x5t_256 === thumbprint ? [index] : []));
    if (candidates.length === 0) throw new SecurityDomainFormatError(`${name}: its certificate is not one of this security domain's custodians`);
  }
  for (const index of candidates) {
    const share = await decryptFrom((encShares[index] as { enc_key: string }).enc_key, privateKey).catch(() => undefined);
    if (share !== undefined) return { index, share };
  }
  throw new SecurityDomainFormatError(`${name} opens no share of this security domain file`);
}

// ---- document parsing ---------------------------------------------------------------------------------------

function parseSecurityDomainDocument(file: string): SecurityDomainDocument {
  const json = parseJson(file, CORRUPT);
  const shared = isRecord(json) ? json['SharedKeys'] : undefined;
  const shares = isRecord(shared) ? shared['enc_shares'] : undefined;
  const required = isRecord(shared) ? shared['required'] : undefined;
  if (
    !isRecord(json) || !isEncData(json['EncData']) || typeof json['domain_id'] !== 'string' ||
    !Array.isArray(shares) || !shares.every(isWrappedKey) ||
    typeof required !== 'number' || !Number.isInteger(required) || required < QUORUM.min || required > shares.length
  ) {
    throw new SecurityDomainFormatError(`${CORRUPT}: it is not a Strongroom security domain file`);
  }
  return json as unknown as SecurityDomainDocument;
}

function parseUploadDocument(blob: string): UploadDocument {
  const bad = 'The security domain blob is not a Strongroom upload blob (EncData, WrappedKey, domain_id)';
  const json = parseJson(blob, bad);
  if (!isRecord(json) || !isEncData(json['EncData']) || !isWrappedKey(json['WrappedKey']) || typeof json['domain_id'] !== 'string') {
    throw new SecurityDomainFormatError(bad);
  }
  return json as unknown as UploadDocument;
}

function parseJson(text: string, failure: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SecurityDomainFormatError(failure);
  }
}

function isEncData(value: unknown): value is EncData {
  return isRecord(value) && typeof value['kdf'] === 'string' && Array.isArray(value['data']) &&
    value['data'].every((d: unknown) => isRecord(d) && typeof d['compact_jwe'] === 'string' && typeof d['tag'] === 'string');
}

function isWrappedKey(value: unknown): value is { enc_key: string; x5t_256: string } {
  return isRecord(value) && typeof value['enc_key'] === 'string' && typeof value['x5t_256'] === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Two base64url big-endian integers are equal, whatever leading zero bytes either carries. */
function sameInteger(a: string, b: string | undefined): boolean {
  const strip = (bytes: Buffer | undefined) => {
    const first = bytes?.findIndex((byte) => byte !== 0) ?? -1;
    return bytes === undefined || first < 0 ? undefined : bytes.subarray(first);
  };
  return b !== undefined && sameBytes(strip(decodeBase64Lenient(a)), strip(decodeBase64Lenient(b)));
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a !== undefined && b !== undefined && a.length > 0 && a.equals(b);
}
