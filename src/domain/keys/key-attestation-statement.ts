/**
 * Strongroom's key attestation format, version 1 (docs/key-attestation.md is its specification): what the server
 * signs and `strongroom attestation verify` checks. Two statements, each an RS256 compact JWS signed by the
 * instance attestation signing key (custody/instance-attestation.ts) with the chain up to the instance root in
 * its `x5c` header:
 *
 *   public-key   (RSA and EC keys only) the key's id, version and public key
 *   private-key  the key's id, version, the public key's thumbprint (RSA, EC) or a commitment to the key (oct),
 *                where it came from, whether it may be released, and that its private part is held inside
 *
 * On the wire (reference §3.7) each member of `attributes.attestation` is base64url of bytes, as the SDKs decode
 * it: `certificatePemFile` of the PEM chain, the two attestations of the JWS text.
 */
import { createHash, createHmac } from 'node:crypto';
import type { PublicJwk } from '../../crypto/key-material.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { KeyOrigin, KeyVersion } from './key-model.ts';
import { WIRE_KEY_TYPE } from './key-types.ts';

export const KEY_ATTESTATION_FORMAT = 'strongroom-key-attestation/1';
/** The `version` member of `attributes.attestation`. */
export const KEY_ATTESTATION_VERSION = '1';
/**
 * `hsmPlatform` as Azure defines it: "0" is a software boundary (Azure's own "0" is FIPS 140 level 1 software;
 * Strongroom is not FIPS validated, and the statement says only that keys are protected in software).
 */
export const STRONGROOM_HSM_PLATFORM = '0';

/** The public key as RFC 7517 members: kty `RSA` (n, e) or `EC` (crv, x, y). */
export type AttestedPublicKey = { kty: 'RSA'; n: string; e: string } | { kty: 'EC'; crv: string; x: string; y: string };

interface StatementHeader {
  format: typeof KEY_ATTESTATION_FORMAT;
  /** The key version's identifier as the caller addressed the service (origin, name, version). */
  kid: string;
  name: string;
  version: string;
  /** The wire key type: RSA-HSM, EC-HSM, oct-HSM. */
  kty: string;
  key_size?: number | undefined;
  crv?: string | undefined;
  key_ops: string[];
  /** When the statement was made (seconds since the epoch). */
  iat: IntDate;
}

export interface PublicKeyStatement extends StatementHeader {
  statement: 'public-key';
  publicKey: AttestedPublicKey;
  /** RFC 7638 SHA-256 thumbprint of `publicKey`, base64url. */
  publicKeyThumbprint: string;
}

export interface KeyCommitment {
  /** HMAC-SHA-256 keyed with the UTF-8 `label`, over the raw key bytes (the key is the message, never the MAC key). */
  alg: 'HMAC-SHA256-LABEL-KEYED';
  label: string;
  /** base64url of the 32-byte result. */
  value: string;
}

export interface PrivateKeyStatement extends StatementHeader {
  statement: 'private-key';
  /** RSA, EC: the thumbprint of the public key the private key belongs to (as in the public-key statement). */
  publicKeyThumbprint?: string | undefined;
  /** oct: a commitment a holder of the key can recompute. */
  keyCommitment?: KeyCommitment | undefined;
  /** Where the material came from; "unknown" for versions stored before Strongroom recorded it. */
  origin: KeyOrigin | 'unknown';
  /** The private (or secret) key is held inside this instance and never leaves it in plaintext. */
  privateKeyLocation: 'inside-strongroom';
  plaintextExport: false;
  /** May be released, wrapped for an attested environment, under its release policy. */
  exportable: boolean;
  /** SHA-256 (base64url) of the release policy's `data` as stored, when the key has one. */
  releasePolicy?: { immutable: boolean; dataSha256: string } | undefined;
  hsmPlatform: typeof STRONGROOM_HSM_PLATFORM;
  /** Who holds the wrapping key of the security domain the key is sealed under: file, env or pkcs11. */
  domainKeyHolder: string;
  /** The version's creation time (seconds since the epoch). */
  created: IntDate;
}

export interface KeyAttestationWire {
  certificatePemFile: string;
  privateKeyAttestation: string;
  publicKeyAttestation?: string;
  version: string;
}

export function commitmentLabel(version: string): string {
  return `strongroom-key-commitment/1:${version}`;
}

/** The oct commitment: HMAC-SHA-256(key = label, message = the key), base64url. */
export function keyCommitment(version: string, keyBytes: Uint8Array): KeyCommitment {
  const label = commitmentLabel(version);
  return { alg: 'HMAC-SHA256-LABEL-KEYED', label, value: createHmac('sha256', Buffer.from(label, 'utf8')).update(keyBytes).digest('base64url') };
}

/** The public key of a stored key or of a wire bundle's `key` (a member present but not a string counts as absent). */
export function attestedPublicKey(jwk: PublicJwk | Record<string, unknown>): AttestedPublicKey | undefined {
  const member = (name: string) => { const value = (jwk as Record<string, unknown>)[name]; return typeof value === 'string' ? value : undefined; };
  const [n, e, crv, x, y] = [member('n'), member('e'), member('crv'), member('x'), member('y')];
  if (n !== undefined && e !== undefined) return { kty: 'RSA', n, e };
  if (crv !== undefined && x !== undefined && y !== undefined) return { kty: 'EC', crv, x, y };
  return undefined;
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. */
export function jwkThumbprint(key: AttestedPublicKey): string {
  const canonical = key.kty === 'RSA'
    ? JSON.stringify({ e: key.e, kty: key.kty, n: key.n })
    : JSON.stringify({ crv: key.crv, kty: key.kty, x: key.x, y: key.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

export interface AttestationFacts {
  kid: string;
  record: KeyVersion;
  /** Required for oct keys. */
  commitment?: KeyCommitment | undefined;
  domainKeyHolder: string;
  now: IntDate;
}

function headerOf(facts: AttestationFacts): StatementHeader {
  const { record } = facts;
  return {
    format: KEY_ATTESTATION_FORMAT,
    kid: facts.kid,
    name: record.name,
    version: record.version,
    kty: WIRE_KEY_TYPE[record.family],
    ...(record.keySize === undefined ? {} : { key_size: record.keySize }),
    ...(record.curve === undefined ? {} : { crv: record.curve }),
    key_ops: record.keyOps,
    iat: facts.now,
  };
}

export function privateKeyStatement(facts: AttestationFacts): PrivateKeyStatement {
  const { record } = facts;
  const publicKey = attestedPublicKey(record.publicJwk);
  if (publicKey === undefined && facts.commitment === undefined) throw new TypeError('an oct key attestation needs its commitment');
  return {
    ...headerOf(facts),
    statement: 'private-key',
    ...(publicKey === undefined ? { keyCommitment: facts.commitment } : { publicKeyThumbprint: jwkThumbprint(publicKey) }),
    origin: record.origin ?? 'unknown',
    privateKeyLocation: 'inside-strongroom',
    plaintextExport: false,
    exportable: record.attributes.exportable,
    ...(record.releasePolicy === undefined
      ? {}
      : { releasePolicy: { immutable: record.releasePolicy.immutable, dataSha256: createHash('sha256').update(record.releasePolicy.data).digest('base64url') } }),
    hsmPlatform: STRONGROOM_HSM_PLATFORM,
    domainKeyHolder: facts.domainKeyHolder,
    created: record.attributes.created,
  };
}

export function publicKeyStatement(facts: AttestationFacts): PublicKeyStatement | undefined {
  const publicKey = attestedPublicKey(facts.record.publicJwk);
  if (publicKey === undefined) return undefined;
  return { ...headerOf(facts), statement: 'public-key', publicKey, publicKeyThumbprint: jwkThumbprint(publicKey) };
}

const wire = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Both statements signed, and the chain, in the wire form of `attributes.attestation`. */
export function buildKeyAttestation(
  facts: AttestationFacts,
  signer: { chainPem: readonly string[]; signJws(payload: unknown): string },
): KeyAttestationWire {
  const publicStatement = publicKeyStatement(facts);
  return {
    certificatePemFile: wire(signer.chainPem.join('')),
    privateKeyAttestation: wire(signer.signJws(privateKeyStatement(facts))),
    ...(publicStatement === undefined ? {} : { publicKeyAttestation: wire(signer.signJws(publicStatement)) }),
    version: KEY_ATTESTATION_VERSION,
  };
}
