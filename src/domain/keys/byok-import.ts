/**
 * BYOK import (reference §3.5): the material of `PUT /keys/{name}` when `key.key_hsm` carries a key transfer
 * blob. The blob names a key-exchange key (KEK) of this instance in `header.kid`; the KEK's private key opens
 * the RSA-AES wrap inside the service, and the unwrapped key must be what the request says it is (kty, crv)
 * and pass the same checks as a JSON Web Key import (sizes, strength, pairwise consistency).
 *
 * Every refusal is a 400 naming the fault; a blob that does not open (corrupt, truncated, made for another
 * KEK's key pair) gets one message whatever the cause, so the import is no oracle on the KEK. The unwrapped
 * bytes are zeroed once parsed.
 */
import type { KeyObject } from 'node:crypto';
import { isCryptoError } from '../../crypto/crypto-error.ts';
import { importJwk } from '../../crypto/jwk-import.ts';
import { AES_SIZES, CURVES, isCurveName, type KeyFamily, type KeyMaterial } from '../../crypto/key-material.ts';
import { materialFromPrivateBytes } from '../../crypto/key-encoding.ts';
import { rsaAesKeyUnwrap } from '../../crypto/rsa-aes-key-wrap.ts';
import { badParameter } from '../../errors/errors.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { Readers } from '../../storage/store.ts';
import type { OperationCall } from '../kernel/operation.ts';
import type { KeyVersion } from './key-model.ts';
import { parseTransferBlob } from './key-transfer-blob.ts';
import { isKeyExchangeKey, WIRE_KEY_TYPE } from './key-types.ts';

/** The key-exchange key a blob names: the `/keys/{name}/{version}` of its kid, whatever the host. */
export interface KekAddress {
  name: string;
  version: string;
}

/** JWK members that carry private material: a BYOK request sends its key in key_hsm, never beside it. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

const UNWRAP_FAILED =
  'The key transfer blob (key_hsm) could not be opened with its key-exchange key: the ciphertext is corrupt or truncated, or was not made with this key-exchange key\'s public key.';

/** The material of a BYOK import: the blob's key, opened with the KEK it names and checked against the request. */
export async function byokMaterial(
  call: OperationCall<unknown>,
  store: Readers,
  family: KeyFamily,
  key: Record<string, unknown>,
): Promise<KeyMaterial> {
  if (PRIVATE_MEMBERS.some((member) => key[member] !== undefined)) {
    throw badParameter('A BYOK import carries its key in key_hsm only; remove the private JSON Web Key members (d, p, q, dp, dq, qi, k).');
  }
  const requestedCurve = requestedCurveOf(family, key['crv']);
  const blob = parseTransferBlob(key['key_hsm']);
  const kek = await usableKek(store, kekAddressOf(blob.recipientKid), blob.recipientKid, call.now);
  const kekMaterial = call.env.keystore.material(kek);
  if (kekMaterial.family !== 'RSA') throw badParameter(`The key-exchange key ${blob.recipientKid} is not an RSA key.`);
  const payload = await unwrapPayload(kekMaterial.privateKey, blob.enc, blob.ciphertext);
  try {
    return await materialOfPayload(family, requestedCurve, payload);
  } finally {
    payload.fill(0);
  }
}

/** The KEK named by a blob's kid (`https://host/keys/{name}/{version}`); the host is not compared. */
export function kekAddressOf(kid: string): KekAddress {
  let path: string;
  try {
    path = new URL(kid).pathname;
  } catch {
    path = '';
  }
  const match = /^\/keys\/([0-9a-zA-Z-]{1,127})\/([0-9a-zA-Z]{1,64})\/?$/.exec(path);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw badParameter(`key_hsm: header.kid must be the full identifier of a key-exchange key version, https://{host}/keys/{name}/{version}.`);
  }
  return { name: match[1], version: match[2] };
}

/** Audit fields for an import: the KEK version a blob names (never the blob); none for a JWK import or a bad blob. */
export function kekAuditFields(key: Record<string, unknown> | undefined): { kek?: string; kekVersion?: string } {
  if (key?.['key_hsm'] === undefined) return {};
  try {
    const { name, version } = kekAddressOf(parseTransferBlob(key['key_hsm']).recipientKid);
    return { kek: name, kekVersion: version };
  } catch {
    return {};
  }
}

async function usableKek(store: Readers, address: KekAddress, kid: string, now: IntDate): Promise<KeyVersion> {
  const kek = await store.keys.getKeyVersion(address.name, address.version);
  if (kek === undefined) {
    throw badParameter(`The key-exchange key ${kid} named by the transfer blob does not exist in this instance; make the blob for a key-exchange key created here.`);
  }
  if (!isKeyExchangeKey(kek.keyOps)) {
    throw badParameter(`The key ${kid} named by the transfer blob is not a key-exchange key: its key_ops lack 'import'.`);
  }
  const { enabled, nbf, exp } = kek.attributes;
  if (!enabled) throw badParameter(`The key-exchange key ${kid} is disabled.`);
  if (nbf !== undefined && now < nbf) throw badParameter(`The key-exchange key ${kid} is not valid before ${nbf} (nbf).`);
  if (exp !== undefined && now >= exp) throw badParameter(`The key-exchange key ${kid} expired at ${exp} (exp).`);
  return kek;
}

async function unwrapPayload(kek: KeyObject, enc: Parameters<typeof rsaAesKeyUnwrap>[1], ciphertext: Buffer): Promise<Buffer> {
  try {
    return await rsaAesKeyUnwrap(kek, enc, ciphertext);
  } catch (error) {
    if (isCryptoError(error)) throw badParameter(UNWRAP_FAILED);
    throw error;
  }
}

function requestedCurveOf(family: KeyFamily, crv: unknown): string | undefined {
  if (crv === undefined) return undefined;
  if (family !== 'EC') throw badParameter(`crv applies to EC-HSM keys only, not to ${WIRE_KEY_TYPE[family]}.`);
  if (!isCurveName(crv)) throw badParameter(`The curve (crv) must be one of ${Object.keys(CURVES).join(', ')}.`);
  return crv;
}

/** The unwrapped key, refused unless it is the requested kind and would pass a JSON Web Key import. */
async function materialOfPayload(family: KeyFamily, curve: string | undefined, payload: Buffer): Promise<KeyMaterial> {
  if (family === 'oct') {
    if (!(AES_SIZES as readonly number[]).includes(payload.length * 8)) {
      throw badParameter('The key in the transfer blob is not an AES key of 128, 192 or 256 bits, as an oct-HSM import needs.');
    }
    return materialFromPrivateBytes('oct', payload);
  }
  const material = parsedPkcs8(family, payload);
  if (material.family === 'oct') throw new TypeError('a PKCS#8 payload parsed as oct');
  if (material.family !== family) {
    throw badParameter(`The transfer blob holds an ${WIRE_KEY_TYPE[material.family]} key, but the request's kty is ${WIRE_KEY_TYPE[family]}.`);
  }
  if (material.family === 'EC' && curve !== undefined && material.curve !== curve) {
    throw badParameter(`The transfer blob holds a ${material.curve} key, but the request's crv is ${curve}.`);
  }
  // The checks a JWK import makes (RSA size and strength, pairwise consistency) apply to a wrapped key too.
  const jwk = material.privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return importJwk(family, material.family === 'EC' ? { ...jwk, crv: material.curve } : jwk);
}

/** The RSA or EC key of a PKCS#8 payload; anything else is a 400 (an unsupported curve or type names itself). */
function parsedPkcs8(family: KeyFamily, payload: Buffer): KeyMaterial {
  try {
    return materialFromPrivateBytes(family, payload);
  } catch (error) {
    if (isCryptoError(error)) throw error;
    throw badParameter(`The key in the transfer blob is not a PKCS#8 private key, as an ${WIRE_KEY_TYPE[family]} import needs.`);
  }
}
