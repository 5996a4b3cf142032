/**
 * release (secure key release, reference §3.6): an exportable key, wrapped for a trusted execution environment
 * that an attestation authority vouches for, when the key's release policy accepts that authority's claims.
 * Its own data action (keys/release/action: the Crypto Service Release User role grants only this). In order:
 *
 *   1. `enc` is one of the RSA-AES wraps; `target` is a JWT                  → else 400 BadParameter
 *   2. the key version exists and is not deleted                             → else 404 KeyNotFound
 *   3. it is enabled (nbf/exp do not matter: release works outside them)     → else 403 Forbidden (KeyDisabled)
 *   4. it is exportable and has a release policy                             → else 403 Forbidden (KeyOperationForbidden)
 *   5. the token is from a trusted authority, signed, in date                 → else 403 Forbidden
 *   6. the policy names that authority and its claims satisfy it             → else 403 Forbidden
 *   7. the token carries the TEE's RSA encryption key (x-ms-runtime.keys)    → else 400 BadParameter
 * Then the key's private form is wrapped for that key (key_hsm) and the answer signed by the instance
 * (release-answer.ts). The private bytes are zeroed once wrapped; they appear in no answer, log or audit record
 * unwrapped. The audit record names the key, the version and, once verified, the authority; never the token.
 */
import { exportPrivateBytes } from '../../crypto/key-encoding.ts';
import { isRsaAesKeyWrapAlgorithm, type RsaAesKeyWrapAlgorithm } from '../../crypto/rsa-aes-key-wrap.ts';
import { badParameter, forbidden, keyNotFound } from '../../errors/errors.ts';
import type { StrongroomError } from '../../errors/strongroom-error.ts';
import { assertAttestationTokenShape } from '../identity/attestation-authorities.ts';
import { readOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import type { KeyVersion } from './key-model.ts';
import { emptyAsLatest } from './key-names.ts';
import type { KeyAddress } from './key-reads.ts';
import { keyFields, keyScope } from './key-scope.ts';
import { buildTransferBlob, encodeTransferBlob } from './key-transfer-blob.ts';
import { releaseAnswerPayload } from './release-answer.ts';
import { parseReleasePolicyData, releasePolicyAllows, type ParsedReleasePolicy } from './release-policy.ts';
import { teeWrappingKey } from './tee-wrapping-key.ts';

export interface ReleaseKeyInput extends KeyAddress {
  target: string;
  nonce?: string | undefined;
  enc?: string | undefined;
  /** `https://host[:port]` as the caller addressed the service: the answer names the kid the caller sees. */
  origin: string;
  /** The request's api-version, which the signed answer repeats. */
  apiVersion: string;
}

export interface ReleasedKey {
  /** The signed answer (a compact JWS). */
  value: string;
  version: string;
  /** The attestation authority that vouched for the target. */
  authority: string;
}

const DEFAULT_ENC: RsaAesKeyWrapAlgorithm = 'CKM_RSA_AES_KEY_WRAP';

export const releaseKey = readOperation<ReleaseKeyInput, ReleasedKey>({
  name: 'release',
  dataAction: DataActions.releaseKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => ({
    ...keyFields(input.name, output?.version ?? input.version),
    ...(output === undefined ? {} : { authority: output.authority, alg: input.enc || DEFAULT_ENC }),
  }),
  async run({ input, now, env }, store) {
    const enc = encOf(input.enc);
    assertAttestationTokenShape(input.target);
    const record = await store.keys.getKeyVersion(input.name, emptyAsLatest(input.version));
    if (record === undefined) throw keyNotFound(input.name, input.version);
    const policy = releasablePolicy(record);
    const attestation = await env.attestationAuthorities.verifyToken(input.target, now);
    if (!releasePolicyAllows(policy, attestation.issuer, attestation.claims)) {
      throw forbidden('Target environment attestation statement does not satisfy the key release policy: no authority of the policy both issued the token and is satisfied by its claims.');
    }
    const tee = await teeWrappingKey(attestation.claims);
    const kid = `${input.origin}/keys/${record.name}/${record.version}`;
    const payload = exportPrivateBytes(env.keystore.material(record));
    let keyHsm: string;
    try {
      keyHsm = encodeTransferBlob(buildTransferBlob({ recipientKid: tee.kid, recipient: tee.publicKey, enc, payload, schemaVersion: '1.0' }));
    } finally {
      payload.fill(0);
    }
    const answer = releaseAnswerPayload({ record, kid, apiVersion: input.apiVersion, enc, nonce: input.nonce, keyHsm, retentionDays: env.retentionDays });
    return { value: env.attestation.signJws(answer), version: record.version, authority: attestation.issuer };
  },
});

function encOf(enc: string | undefined): RsaAesKeyWrapAlgorithm {
  if (enc === undefined || enc === '') return DEFAULT_ENC;
  if (!isRsaAesKeyWrapAlgorithm(enc)) {
    throw badParameter('enc must be one of CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256, RSA_AES_KEY_WRAP_384.');
  }
  return enc;
}

/** The version's policy, when the version may be released at all. */
function releasablePolicy(record: KeyVersion): ParsedReleasePolicy {
  if (!record.attributes.enabled) throw forbidden('Operation release is not allowed on a disabled key.', 'KeyDisabled');
  if (!record.attributes.exportable || record.releasePolicy === undefined) {
    throw forbidden(`Key ${record.name}/${record.version} cannot be released: only an exportable key with a release policy can be.`, 'KeyOperationForbidden');
  }
  try {
    return parseReleasePolicyData(record.releasePolicy.data);
  } catch (error) {
    // A policy stored before the grammar was checked (or restored from such a backup) releases to nobody.
    throw forbidden(`Key ${record.name}/${record.version} cannot be released: its release policy is malformed (${(error as StrongroomError).message})`, 'KeyOperationForbidden');
  }
}
