/**
 * Rotation (reference §3.4): `rotateKey` makes a new version of a key like its latest one, and a key's rotation
 * policy is read and set with `getKeyRotationPolicy` / `updateKeyRotationPolicy`. The scheduler's operations are
 * in `rotation-schedule.ts`.
 *
 * A rotated version has the latest version's type, size or curve (and RSA public exponent), `key_ops`, tags,
 * `exportable` flag and release policy; it is enabled, with no `nbf`, and `exp` = now + the policy's
 * `expiryTime` when the policy sets one (no `exp` otherwise). The material is generated in `prepare`, before the
 * unit of work opens, as for a create.
 */
import { generateKeyMaterial } from '../../crypto/key-generation.ts';
import type { KeySpec, RsaSize, AesSize } from '../../crypto/key-material.ts';
import { keyNotFound } from '../../errors/errors.ts';
import type { Readers, UnitOfWork } from '../../storage/store.ts';
import { readOperation, writeOperation, type OperationCall, type OperationEnvironment } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { prepareVersion, storeVersion } from './key-lifecycle.ts';
import type { KeyVersion } from './key-model.ts';
import { assertValidKeyName } from './key-names.ts';
import { keyFields, keyScope } from './key-scope.ts';
import { expiryFor, rotationPolicyOf, type RotationPolicyRequest, type StoredRotationPolicy } from './rotation-policy.ts';

export const rotateKey = writeOperation<{ name: string }, KeyVersion, KeyVersion>({
  name: 'rotateKey',
  dataAction: DataActions.rotateKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => keyFields(input.name, output?.version),
  async prepare(call, store) {
    // As on create and import (reference §3): a name no key can have is 400, not 404.
    assertValidKeyName(call.input.name);
    const current = await store.keys.getKeyVersion(call.input.name);
    if (current === undefined) throw keyNotFound(call.input.name);
    return prepareRotatedVersion(call, store, current);
  },
  run: (call, unit, version) => storeRotatedVersion(unit, call.input.name, version, call.env),
});

/** The next version of `current`, sealed and ready to store (generation happens here, outside any unit). */
export async function prepareRotatedVersion(call: OperationCall<{ name: string }>, store: Readers, current: KeyVersion): Promise<KeyVersion> {
  const stored = await store.rotationPolicies.getRotationPolicy(current.name);
  const exp = expiryFor(stored?.policy, call.now);
  const request = { attributes: exp === undefined ? {} : { exp }, tags: current.tags };
  const spec = specOf(current);
  const version = await prepareVersion(
    { ...call, input: { name: current.name, request } },
    store,
    current.family,
    current.keyOps,
    () => generateKeyMaterial(spec),
    'generated',
  );
  // The release policy (and so `exportable`) carries over as it is: it was checked when it was set. So does
  // wrapWithTrusted (one-way); `trusted` does not: an administrator vouches for each version on its own.
  return {
    ...version,
    attributes: { ...version.attributes, exportable: current.attributes.exportable, wrapWithTrusted: current.attributes.wrapWithTrusted },
    releasePolicy: current.releasePolicy,
  };
}

/** Stores a rotated version, unless the key was deleted or purged since `prepare` read it. */
export async function storeRotatedVersion(unit: UnitOfWork, name: string, version: KeyVersion, env: Pick<OperationEnvironment, 'limits'>): Promise<KeyVersion> {
  if ((await unit.keys.getKeyVersion(name)) === undefined) throw keyNotFound(name);
  return storeVersion(unit, version, env);
}

function specOf(current: KeyVersion): KeySpec {
  switch (current.family) {
    case 'RSA': {
      const e = 'e' in current.publicJwk ? Buffer.from(current.publicJwk.e, 'base64url') : undefined;
      return { family: 'RSA', sizeBits: (current.keySize ?? 2048) as RsaSize, publicExponent: e === undefined ? 65537 : Number(BigInt(`0x${e.toString('hex')}`)) };
    }
    case 'EC':
      return { family: 'EC', curve: current.curve ?? 'P-256' };
    case 'oct':
      return { family: 'oct', sizeBits: (current.keySize ?? 256) as AesSize };
  }
}

/** A key's policy as the wire shows it: the stored one, or none (the key has no policy). */
export interface KeyRotationPolicyView {
  name: string;
  stored?: StoredRotationPolicy | undefined;
}

export const getKeyRotationPolicy = readOperation<{ name: string }, KeyRotationPolicyView>({
  name: 'getKeyRotationPolicy',
  dataAction: DataActions.readKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  async run(call, store) {
    const key = await store.keys.getKeyVersion(call.input.name);
    if (key === undefined) throw keyNotFound(call.input.name);
    return { name: key.name, stored: await store.rotationPolicies.getRotationPolicy(key.name) };
  },
});

export interface UpdateRotationPolicyInput {
  name: string;
  policy: RotationPolicyRequest;
  /** The origin the request came through (`https://host:port`): near-expiry events name the key by it. */
  vaultUri?: string | undefined;
}

export const updateKeyRotationPolicy = writeOperation<UpdateRotationPolicyInput, KeyRotationPolicyView>({
  name: 'updateKeyRotationPolicy',
  dataAction: DataActions.writeKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  async run(call, unit) {
    const { name, vaultUri } = call.input;
    const policy = rotationPolicyOf(call.input.policy);
    const stored = await unit.rotationPolicies.putRotationPolicy(name, vaultUri === undefined ? policy : { ...policy, vaultUri }, call.now);
    if (stored === undefined) throw keyNotFound(name);
    return { name: stored.name, stored };
  },
});
