/**
 * The key transfer blob (reference §3.5): the JSON document a BYOK tool produces for import, and the `key_hsm`
 * of a released or exported key. It names the recipient key (`header.kid`) and carries the key, RSA-AES
 * wrapped for it (crypto/rsa-aes-key-wrap.ts); the wrapped payload is the key's private form (PKCS#8 DER for
 * RSA and EC, the raw bytes of an AES key), which is what `exportPrivateBytes` gives.
 *
 *   {"schema_version": "1.0.0", "header": {"kid": …, "alg": "dir", "enc": "CKM_RSA_AES_KEY_WRAP"},
 *    "ciphertext": "<base64url>", "generator": "…"}
 *
 * On the wire the whole document travels base64 or base64url encoded (`key.key_hsm`); both are accepted.
 */
import type { KeyObject } from 'node:crypto';
import { isRsaAesKeyWrapAlgorithm, rsaAesKeyWrap, type RsaAesKeyWrapAlgorithm } from '../../crypto/rsa-aes-key-wrap.ts';
import { badParameter } from '../../errors/errors.ts';
import { decodeBase64Lenient } from '../../lib/base64url.ts';

export interface KeyTransferBlob {
  schema_version: string;
  header: { kid: string; alg: 'dir'; enc: RsaAesKeyWrapAlgorithm };
  ciphertext: string;
  generator?: string | undefined;
}

/** The parsed blob: whom it is for, how it is wrapped, and the wrapped bytes. */
export interface ParsedTransferBlob {
  recipientKid: string;
  enc: RsaAesKeyWrapAlgorithm;
  ciphertext: Buffer;
}

/** A largest RSA segment (4096-bit) plus the RFC 5649 wrap of a PKCS#8 RSA-4096 key, with room to spare. */
const MAX_BLOB_BYTES = 64 * 1024;

export function buildTransferBlob(options: {
  recipientKid: string;
  recipient: KeyObject;
  enc: RsaAesKeyWrapAlgorithm;
  payload: Uint8Array;
  generator?: string;
  schemaVersion?: string;
}): KeyTransferBlob {
  return {
    schema_version: options.schemaVersion ?? '1.0.0',
    header: { kid: options.recipientKid, alg: 'dir', enc: options.enc },
    ciphertext: rsaAesKeyWrap(options.recipient, options.enc, options.payload).toString('base64url'),
    ...(options.generator === undefined ? {} : { generator: options.generator }),
  };
}

/** `key_hsm` as it travels: the base64url of the blob's JSON. */
export function encodeTransferBlob(blob: KeyTransferBlob): string {
  return Buffer.from(JSON.stringify(blob), 'utf8').toString('base64url');
}

/** Reads `key_hsm` (base64 or base64url of the JSON, or the JSON itself); every defect is a 400 naming it. */
export function parseTransferBlob(keyHsm: unknown): ParsedTransferBlob {
  if (typeof keyHsm !== 'string' || keyHsm.length === 0) throw badParameter('key_hsm must be the base64 encoding of a key transfer blob.');
  if (keyHsm.length > (MAX_BLOB_BYTES * 4) / 3 + 4) throw badParameter(`key_hsm must be at most ${MAX_BLOB_BYTES} bytes.`);
  const text = keyHsm.trimStart().startsWith('{') ? keyHsm : decodeBase64Lenient(keyHsm)?.toString('utf8');
  if (text === undefined) throw badParameter('key_hsm must be the base64 encoding of a key transfer blob.');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw badParameter('key_hsm is not a key transfer blob: its content is not JSON.');
  }
  const blob = document as Partial<KeyTransferBlob> | null;
  const header = typeof blob === 'object' && blob !== null ? blob.header : undefined;
  if (typeof header !== 'object' || header === null || typeof header.kid !== 'string' || header.kid.length === 0) {
    throw badParameter('key_hsm is not a key transfer blob: header.kid (the key-exchange key) is missing.');
  }
  if (!isRsaAesKeyWrapAlgorithm(header.enc)) {
    throw badParameter(`key_hsm: header.enc '${String(header.enc)}' is not supported; use CKM_RSA_AES_KEY_WRAP.`);
  }
  if (header.alg !== undefined && header.alg !== 'dir') throw badParameter(`key_hsm: header.alg must be 'dir'.`);
  const ciphertext = typeof blob?.ciphertext === 'string' ? decodeBase64Lenient(blob.ciphertext) : undefined;
  if (ciphertext === undefined || ciphertext.length === 0) throw badParameter('key_hsm: ciphertext is missing or not base64url.');
  return { recipientKid: header.kid, enc: header.enc, ciphertext };
}
