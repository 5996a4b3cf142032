/**
 * exportKey: Cloud HSM's wrap of an extractable key (C_WrapKey with CKM_RSA_AES_KEY_WRAP), over REST. The key's
 * private form leaves the instance only RSA-AES wrapped, as a BYOK transfer blob (key-transfer-blob.ts) for one
 * RSA key: a wrapping key of this instance (`wrappingKid`) or an outside public key (`wrappingKey`, a JWK with a
 * `kid`). Imported into the Strongroom whose key-exchange key it was wrapped for (`wrappingKey` = that KEK's
 * public JWK and kid), the blob moves the key between instances (docs/cloud-hsm-keys.md). In order:
 *
 *   1. `enc` is one of the RSA-AES wraps; exactly one of wrappingKid, wrappingKey        → else 400 BadParameter
 *   2. the key version exists and is not deleted                                         → else 404 KeyNotFound
 *   3. it is enabled                                                                     → else 403 (KeyDisabled)
 *   4. it is exportable (Cloud HSM's EXTRACTABLE)                                        → else 403 (KeyOperationForbidden)
 *   5. wrappingKid: an RSA key of this instance (else 400), enabled and in its nbf/exp window, with `wrapKey`
 *      or `import` (a key-exchange key has only `import`) in its key_ops                 → else 403
 *      wrappingKey: an RSA public JWK of 2048 to 8192 bits with a kid, nothing private   → else 400
 *   6. a key marked wrapWithTrusted goes only to a wrapping key of this instance marked trusted; an outside
 *      key is never trusted                                                              → else 403 (KeyOperationForbidden)
 *
 * The private bytes are zeroed once wrapped; they appear unwrapped in no answer, log or audit record. The audit
 * record names the key, its version, the wrapping key's kid and the wrap; never material.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { exportPrivateBytes } from '../../crypto/key-encoding.ts';
import { isRsaAesKeyWrapAlgorithm, type RsaAesKeyWrapAlgorithm } from '../../crypto/rsa-aes-key-wrap.ts';
import { badParameter, forbidden, keyNotFound } from '../../errors/errors.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { Readers } from '../../storage/store.ts';
import { readOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { isTrusted, mustWrapWithTrusted, type KeyVersion } from './key-model.ts';
import { emptyAsLatest } from './key-names.ts';
import type { KeyAddress } from './key-reads.ts';
import { keyFields, keyScope } from './key-scope.ts';
import { buildTransferBlob, encodeTransferBlob } from './key-transfer-blob.ts';

export interface ExportKeyInput extends KeyAddress {
  wrappingKid?: string | undefined;
  wrappingKey?: Record<string, unknown> | undefined;
  enc?: string | undefined;
  /** `https://host[:port]` as the caller addressed the service: a local wrapping key's kid is named on it. */
  origin: string;
}

export interface ExportedKey {
  record: KeyVersion;
  /** base64url of the transfer blob's JSON. */
  keyHsm: string;
  /** The wrapping key's id: the blob's header.kid. */
  wrappingKid: string;
  enc: RsaAesKeyWrapAlgorithm;
}

interface WrappingKey {
  kid: string;
  publicKey: KeyObject;
  /** Only a key of this instance can be, and only an administrator marks it (key-trust.ts). */
  trusted: boolean;
}

const DEFAULT_ENC: RsaAesKeyWrapAlgorithm = 'CKM_RSA_AES_KEY_WRAP';
const WRAPPING_OPS = ['wrapKey', 'import'];
const MIN_BITS = 2048;
const MAX_BITS = 8192;
const MAX_KID_CHARS = 1024;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

export const exportKey = readOperation<ExportKeyInput, ExportedKey>({
  name: 'exportKey',
  dataAction: DataActions.exportKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => ({
    ...keyFields(input.name, output?.record.version ?? input.version),
    ...(output === undefined ? {} : { wrappingKid: output.wrappingKid, alg: output.enc }),
  }),
  async run({ input, now, env }, store) {
    const enc = encOf(input.enc);
    if ((input.wrappingKid === undefined) === (input.wrappingKey === undefined)) {
      throw badParameter('Give exactly one of wrappingKid (a key of this instance) and wrappingKey (an RSA public JSON Web Key with a kid).');
    }
    const record = await store.keys.getKeyVersion(input.name, emptyAsLatest(input.version));
    if (record === undefined) throw keyNotFound(input.name, input.version);
    assertExportable(record);
    const wrapping = input.wrappingKid !== undefined
      ? await localWrappingKey(store, input.wrappingKid, input.origin, now)
      : outsideWrappingKey(input.wrappingKey ?? {});
    if (mustWrapWithTrusted(record.attributes) && !wrapping.trusted) {
      throw forbidden(
        `Key ${record.name}/${record.version} is marked wrapWithTrusted: it can be exported only wrapped by a key of this instance marked trusted, and ${wrapping.kid} is not.`,
        'KeyOperationForbidden',
      );
    }
    const payload = exportPrivateBytes(env.keystore.material(record));
    try {
      const blob = buildTransferBlob({ recipientKid: wrapping.kid, recipient: wrapping.publicKey, enc, payload, generator: 'Strongroom exportKey' });
      return { record, keyHsm: encodeTransferBlob(blob), wrappingKid: wrapping.kid, enc };
    } finally {
      payload.fill(0);
    }
  },
});

function encOf(enc: string | undefined): RsaAesKeyWrapAlgorithm {
  if (enc === undefined || enc === '') return DEFAULT_ENC;
  if (!isRsaAesKeyWrapAlgorithm(enc)) {
    throw badParameter('enc must be one of CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256, RSA_AES_KEY_WRAP_384.');
  }
  return enc;
}

function assertExportable(record: KeyVersion): void {
  if (!record.attributes.enabled) throw forbidden('Operation export is not allowed on a disabled key.', 'KeyDisabled');
  if (!record.attributes.exportable) {
    throw forbidden(`Key ${record.name}/${record.version} is not exportable: it never leaves this security domain other than in a backup.`, 'KeyOperationForbidden');
  }
}

/** A key of this instance named by its id (`https://host/keys/{name}[/{version}]`; the host is not compared). */
async function localWrappingKey(
  store: Readers,
  kid: string,
  origin: string,
  now: IntDate,
): Promise<WrappingKey> {
  const address = keyAddressOf(kid);
  const wrapper = await store.keys.getKeyVersion(address.name, address.version);
  if (wrapper === undefined) throw badParameter(`The wrapping key ${kid} does not exist in this instance.`);
  if (wrapper.family !== 'RSA') throw badParameter(`The wrapping key ${kid} is not an RSA key; RSA-AES key wrap needs one.`);
  const { enabled, nbf, exp } = wrapper.attributes;
  if (!enabled) throw forbidden(`The wrapping key ${kid} is disabled.`, 'KeyDisabled');
  if (nbf !== undefined && now < nbf) throw forbidden(`The wrapping key ${kid} is not valid before ${nbf} (nbf).`, 'KeyNotYetValid');
  if (exp !== undefined && now >= exp) throw forbidden(`The wrapping key ${kid} expired at ${exp} (exp).`, 'KeyExpired');
  if (!wrapper.keyOps.some((op) => WRAPPING_OPS.includes(op))) {
    throw forbidden(`The wrapping key ${kid} may not wrap keys: its key_ops have neither wrapKey nor import.`, 'KeyOperationForbidden');
  }
  // Its public half is enough to wrap for it: the private material stays sealed.
  const jwk = wrapper.publicJwk;
  if (!('n' in jwk)) throw badParameter(`The wrapping key ${kid} is not an RSA key; RSA-AES key wrap needs one.`);
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
  return { kid: `${origin}/keys/${wrapper.name}/${wrapper.version}`, publicKey, trusted: isTrusted(wrapper.attributes) };
}

function keyAddressOf(kid: string): { name: string; version?: string | undefined } {
  let path = '';
  try {
    path = new URL(kid).pathname;
  } catch {
    // not a URL: refused below
  }
  const match = /^\/keys\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-zA-Z]{1,64}))?\/?$/.exec(path);
  if (match?.[1] === undefined) throw badParameter('wrappingKid must be the identifier of a key of this instance, https://{host}/keys/{name}[/{version}].');
  return { name: match[1], version: match[2] };
}

/** An RSA public key from outside: never trusted, so it can receive only keys with wrapWithTrusted false. */
function outsideWrappingKey(jwk: Record<string, unknown>): WrappingKey {
  const { kty, n, e, kid } = jwk;
  if (kty !== 'RSA' && kty !== 'RSA-HSM') throw badParameter('wrappingKey must be an RSA public JSON Web Key (kty RSA).');
  if (PRIVATE_MEMBERS.some((member) => jwk[member] !== undefined)) {
    throw badParameter('wrappingKey must be a public key: remove its private members (d, p, q, dp, dq, qi).');
  }
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_CHARS) {
    throw badParameter(`wrappingKey must have a kid (1 to ${MAX_KID_CHARS} characters): the transfer blob names its recipient by it.`);
  }
  const keyOps = jwk['key_ops'];
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.some((op) => WRAPPING_OPS.includes(String(op))))) {
    throw forbidden(`The wrapping key ${kid} may not wrap keys: its key_ops have neither wrapKey nor import.`, 'KeyOperationForbidden');
  }
  const invalid = () => badParameter('wrappingKey is not a valid RSA public key (n and e, base64url).');
  // Node decodes a JWK's members leniently: text that is not base64url yields an empty (zero-bit) modulus.
  if (typeof n !== 'string' || typeof e !== 'string' || !/^[A-Za-z0-9_-]+$/.test(n) || !/^[A-Za-z0-9_-]+$/.test(e)) throw invalid();
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
  } catch {
    throw invalid();
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_BITS || bits > MAX_BITS) throw badParameter(`wrappingKey must be ${MIN_BITS} to ${MAX_BITS} bits long; it has ${bits}.`);
  return { kid, publicKey, trusted: false };
}
