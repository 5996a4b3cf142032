/**
 * The signed answer of a secure key release (reference §3.6): a compact JWS by the instance attestation
 * identity (RS256, its x5c chain in the header, custody/instance-attestation.ts) over
 *
 *   {"request":  {"api-version", "enc", "kid", "nonce"?},
 *    "response": {"key": {"key": {kid, kty, key_ops, n, e | crv, x, y, key_hsm}, attributes, tags?, release_policy}}}
 *
 * `key_hsm` is the base64url key transfer blob (key-transfer-blob.ts) wrapped for the TEE's key, whose
 * header.kid names that key. The bundle is the key bundle a getKey answers, in the same wire form (the
 * attributes as key-bundles.ts renders them), so a TEE reads it with the code it reads any bundle with.
 */
import type { RsaAesKeyWrapAlgorithm } from '../../crypto/rsa-aes-key-wrap.ts';
import { wireKeyAttributes } from './key-attributes-wire.ts';
import type { KeyVersion } from './key-model.ts';
import { WIRE_KEY_TYPE } from './key-types.ts';

export interface ReleaseAnswerParts {
  record: KeyVersion;
  /** The key's id as the caller addressed the service: `https://host/keys/{name}/{version}`. */
  kid: string;
  apiVersion: string;
  enc: RsaAesKeyWrapAlgorithm;
  nonce?: string | undefined;
  keyHsm: string;
  retentionDays: number;
}

export function releaseAnswerPayload(parts: ReleaseAnswerParts) {
  const { record } = parts;
  return {
    request: {
      'api-version': parts.apiVersion,
      enc: parts.enc,
      kid: parts.kid,
      ...(parts.nonce === undefined ? {} : { nonce: parts.nonce }),
    },
    response: {
      key: {
        key: { kid: parts.kid, kty: WIRE_KEY_TYPE[record.family], key_ops: record.keyOps, ...record.publicJwk, key_hsm: parts.keyHsm },
        attributes: wireKeyAttributes(record.attributes, parts.retentionDays),
        ...(record.tags === undefined ? {} : { tags: record.tags }),
        ...(record.releasePolicy === undefined ? {} : { release_policy: record.releasePolicy }),
      },
    },
  };
}
