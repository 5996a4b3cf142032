/**
 * The rules for a key version's attributes and release policy, on create/import and on update.
 *
 * - `exportable` needs a release policy, and once false it can never become true (an HSM's EXTRACTABLE=0).
 * - `wrapWithTrusted` (Cloud HSM's CKA_WRAP_WITH_TRUSTED) defaults to true and is one-way: false may become true,
 *   true never false. `trusted` is not set here: a new version is untrusted, and only setKeyTrusted
 *   (key-trust.ts, its own data action) changes it.
 * - An immutable release policy can never be changed again (nor removed: no request can remove a policy).
 * - A release policy must follow the Managed HSM grammar (release-policy.ts), checked after the rules above so
 *   that their messages (Azure's AKV.SKR texts) win.
 * - `exp` must be later than `nbf` when both are set.
 * Read-only attributes a client echoes back (`created`, `recoveryLevel`...) are ignored, as the service does.
 */
import { badParameter } from '../../errors/errors.ts';
import { decodeBase64Lenient } from '../../lib/base64url.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { mustWrapWithTrusted, type KeyAttributes, type KeyVersion, type KeyVersionPatch, type ReleasePolicy } from './key-model.ts';
import { parseReleasePolicyData } from './release-policy.ts';
import { assertPatchedWindow, assertValidityWindow } from '../lifecycle-attributes.ts';

export interface AttributesRequest {
  enabled?: boolean | undefined;
  nbf?: IntDate | null | undefined;
  exp?: IntDate | null | undefined;
  exportable?: boolean | undefined;
  wrapWithTrusted?: boolean | undefined;
  /** Changed only by setKeyTrusted (key-trust.ts); on create or import it is refused. */
  trusted?: boolean | undefined;
}

export interface ReleasePolicyRequest {
  contentType?: string | undefined;
  immutable?: boolean | undefined;
  data?: string | undefined;
}

export interface KeyPropertiesRequest {
  attributes?: AttributesRequest | undefined;
  tags?: Record<string, string> | undefined;
  release_policy?: ReleasePolicyRequest | undefined;
}

const DEFAULT_POLICY_CONTENT_TYPE = 'application/json; charset=utf-8';
const MAX_POLICY_BYTES = 10 * 1024;

export function newKeyAttributes(
  request: AttributesRequest | undefined,
  releasePolicy: ReleasePolicy | undefined,
  now: IntDate,
): KeyAttributes {
  const attributes: KeyAttributes = {
    enabled: request?.enabled ?? true,
    nbf: request?.nbf ?? undefined,
    exp: request?.exp ?? undefined,
    exportable: request?.exportable ?? false,
    trusted: false,
    wrapWithTrusted: request?.wrapWithTrusted ?? true,
    created: now,
    updated: now,
  };
  if (request?.trusted !== undefined) {
    throw badParameter('attributes.trusted cannot be set when a key is created or imported; an administrator sets it afterwards with PATCH /keys/{name}/{version}.');
  }
  if (attributes.exportable && releasePolicy === undefined) {
    throw badParameter('AKV.SKR.1004: Exportable keys must have release policy.');
  }
  if (!attributes.exportable && releasePolicy !== undefined) {
    throw badParameter('AKV.SKR.1005: Non-exportable keys must not have release policy.');
  }
  if (releasePolicy !== undefined) parseReleasePolicyData(releasePolicy.data);
  assertValidityWindow(attributes.nbf, attributes.exp);
  return attributes;
}

export function releasePolicyOf(request: ReleasePolicyRequest | undefined): ReleasePolicy | undefined {
  if (request === undefined) return undefined;
  const document = request.data === undefined ? undefined : decodeBase64Lenient(request.data);
  if (document === undefined || document.length === 0) {
    throw badParameter('release_policy.data must be the base64url encoding of the policy document.');
  }
  if (document.length > MAX_POLICY_BYTES) throw badParameter(`release_policy.data must be at most ${MAX_POLICY_BYTES} bytes.`);
  if (!isJsonObject(document)) throw badParameter('release_policy.data must encode a JSON object.');
  return {
    contentType: request.contentType ?? DEFAULT_POLICY_CONTENT_TYPE,
    immutable: request.immutable ?? false,
    data: document.toString('base64url'),
  };
}

/** The storage patch for an update request, after checking it against the version as it is now. */
export function attributesPatch(
  current: KeyVersion,
  request: KeyPropertiesRequest & { key_ops?: string[] | undefined },
  now: IntDate,
): KeyVersionPatch {
  const attributes = request.attributes ?? {};
  if (attributes.exportable === true && !current.attributes.exportable) {
    throw badParameter('A key that is not exportable can never be made exportable.');
  }
  if (attributes.wrapWithTrusted === false && mustWrapWithTrusted(current.attributes)) {
    throw badParameter('A key that must be wrapped with a trusted key (wrapWithTrusted) can never be relieved of it.');
  }
  const releasePolicy = releasePolicyOf(request.release_policy);
  if (releasePolicy !== undefined && current.releasePolicy?.immutable === true) {
    throw badParameter('AKV.SKR.1020: Immutable Key Release Policy cannot be modified.');
  }
  const exportable = attributes.exportable ?? current.attributes.exportable;
  if (!exportable && releasePolicy !== undefined) {
    throw badParameter('AKV.SKR.1005: Non-exportable keys must not have release policy.');
  }
  if (releasePolicy !== undefined) parseReleasePolicyData(releasePolicy.data);
  assertPatchedWindow(current.attributes, attributes);
  return {
    keyOps: request.key_ops,
    enabled: attributes.enabled,
    nbf: attributes.nbf,
    exp: attributes.exp,
    exportable: attributes.exportable,
    wrapWithTrusted: attributes.wrapWithTrusted,
    tags: request.tags,
    releasePolicy,
    updated: now,
  };
}


function isJsonObject(document: Buffer): boolean {
  try {
    const parsed: unknown = JSON.parse(document.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}
