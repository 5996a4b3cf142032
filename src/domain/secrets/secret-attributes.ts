/**
 * The rules for a secret version's value and attributes, on set and on update (the same as keys' where they
 * share a member):
 * - the value is at most 25,600 bytes of UTF-8 (Key Vault's 25 KiB) and any Unicode text, NUL included, but
 *   well-formed: a lone surrogate could not come back as it was sent;
 * - `exp` must be later than `nbf` when both are set; `null` clears either on update;
 * - a value is returned only while the version is enabled and inside its nbf/exp window (assertReadable).
 */
import { badParameter } from '../../errors/errors.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { secretDisabled, secretExpired, secretNotYetValid } from './secret-errors.ts';
import type { SecretAttributes, SecretVersion, SecretVersionMeta, SecretVersionPatch } from './secret-model.ts';
import { assertPatchedWindow, assertValidityWindow } from '../lifecycle-attributes.ts';

export const MAX_SECRET_VALUE_BYTES = 25_600;

export interface SecretAttributesRequest {
  enabled?: boolean | undefined;
  nbf?: IntDate | null | undefined;
  exp?: IntDate | null | undefined;
}

export interface SecretPropertiesRequest {
  contentType?: string | undefined;
  attributes?: SecretAttributesRequest | undefined;
  tags?: Record<string, string> | undefined;
}

export function assertValidSecretValue(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw badParameter('The secret value (value) is required and must be a string.');
  if (!value.isWellFormed()) throw badParameter('The secret value must be well-formed Unicode text (it holds a lone surrogate).');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_SECRET_VALUE_BYTES) {
    throw badParameter(`The secret value is ${bytes} bytes of UTF-8; the limit is ${MAX_SECRET_VALUE_BYTES} bytes (25 KiB).`);
  }
}

export function newSecretAttributes(request: SecretAttributesRequest | undefined, now: IntDate): SecretAttributes {
  const attributes: SecretAttributes = {
    enabled: request?.enabled ?? true,
    nbf: request?.nbf ?? undefined,
    exp: request?.exp ?? undefined,
    created: now,
    updated: now,
  };
  assertValidityWindow(attributes.nbf, attributes.exp);
  return attributes;
}

/** The storage patch for an update request, checked against the version as it is now. */
export function secretAttributesPatch(current: SecretVersionMeta, request: SecretPropertiesRequest, now: IntDate): SecretVersionPatch {
  const attributes = request.attributes ?? {};
  assertPatchedWindow(current.attributes, attributes);
  return {
    enabled: attributes.enabled,
    nbf: attributes.nbf,
    exp: attributes.exp,
    contentType: request.contentType,
    tags: request.tags,
    updated: now,
  };
}

/** A value is handed out only by an enabled version inside its validity window. */
export function assertReadable(version: Pick<SecretVersion, 'attributes'>, now: IntDate): void {
  const { enabled, nbf, exp } = version.attributes;
  if (!enabled) throw secretDisabled();
  if (nbf !== undefined && now < nbf) throw secretNotYetValid();
  if (exp !== undefined && now >= exp) throw secretExpired();
}

