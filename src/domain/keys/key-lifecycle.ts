/**
 * Operations that make or change key versions: createKey, importKey, updateKey (Key Vault's names). importKey
 * takes a JSON Web Key with its private members, or a BYOK transfer blob in `key.key_hsm` (byok-import.ts).
 *
 * createKey and importKey do their expensive work (generation, a JWK's consistency proof, sealing) in
 * `prepare`, before the unit of work opens; the unit then only checks the name and stores the version.
 * updateKey reads the version inside its unit, decides the patch against it, and writes it conditionally on the
 * row version it read: a concurrent change makes the kernel run the unit again, so every rule (`exportable`
 * never returns to true, an immutable release policy stays) holds against the version actually replaced.
 */
import { publicJwk } from '../../crypto/key-encoding.ts';
import { generateKeyMaterial } from '../../crypto/key-generation.ts';
import { importJwk } from '../../crypto/jwk-import.ts';
import type { KeyFamily, KeyMaterial } from '../../crypto/key-material.ts';
import { badParameter, keyIsDeletedButRecoverable, keyNotFound } from '../../errors/errors.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { Readers, UnitOfWork } from '../../storage/store.ts';
import { writeOperation, type OperationCall, type OperationEnvironment } from '../kernel/operation.ts';
import { keyLimitError, keyObjectLimits } from '../limits/object-limits.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { byokMaterial, kekAuditFields } from './byok-import.ts';
import { attributesPatch, newKeyAttributes, releasePolicyOf, type KeyPropertiesRequest } from './key-attributes.ts';
import type { KeyOrigin, KeyVersion } from './key-model.ts';
import { assertValidKeyName, emptyAsLatest, newKeyVersion } from './key-names.ts';
import { keyFields, keyScope } from './key-scope.ts';
import { keyFamilyOf, keyOperationsFor, keyOperationsForUpdate, keySpecOf, type KeySpecRequest } from './key-types.ts';

export interface CreateKeyRequest extends KeySpecRequest, KeyPropertiesRequest {
  key_ops?: string[] | undefined;
}

export interface ImportKeyRequest extends KeyPropertiesRequest {
  key: Record<string, unknown> & { kty?: unknown; key_ops?: string[] | undefined };
  Hsm?: boolean | undefined;
}

export interface UpdateKeyRequest extends KeyPropertiesRequest {
  key_ops?: string[] | undefined;
}

export interface NewVersionInput<R> {
  name: string;
  request: R;
}

export interface UpdateKeyInput {
  name: string;
  version?: string | undefined;
  request: UpdateKeyRequest;
}

const newVersionAudit = (input: { name: string }, output: KeyVersion | undefined) => keyFields(input.name, output?.version);

export const createKey = writeOperation<NewVersionInput<CreateKeyRequest>, KeyVersion, KeyVersion>({
  name: 'createKey',
  dataAction: DataActions.createKey,
  scope: (input) => keyScope(input.name),
  audit: newVersionAudit,
  prepare(call, store) {
    assertValidKeyName(call.input.name);
    const spec = keySpecOf(call.input.request);
    return prepareVersion(call, store, spec.family, call.input.request.key_ops, () => generateKeyMaterial(spec), 'generated');
  },
  run: (call, unit, version) => storeVersion(unit, version, call.env),
});

export const importKey = writeOperation<NewVersionInput<ImportKeyRequest>, KeyVersion, KeyVersion>({
  name: 'importKey',
  dataAction: DataActions.importKey,
  scope: (input) => keyScope(input.name),
  // A BYOK import also records the key-exchange key version its blob names.
  audit: (input, output) => ({ ...newVersionAudit(input, output), ...kekAuditFields(input.request?.key) }),
  prepare(call, store) {
    const { name, request } = call.input;
    assertValidKeyName(name);
    const family = keyFamilyOf(request.key.kty);
    if (request.key['key_hsm'] !== undefined) {
      return prepareVersion(call, store, family, request.key.key_ops, () => byokMaterial(call, store, family, request.key), 'byok');
    }
    return prepareVersion(call, store, family, request.key.key_ops, () => importJwk(family, request.key), 'imported');
  },
  run: (call, unit, version) => storeVersion(unit, version, call.env),
});

export const updateKey = writeOperation<UpdateKeyInput, KeyVersion>({
  name: 'updateKey',
  dataAction: DataActions.writeKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => keyFields(input.name, output?.version ?? input.version),
  async run(call, unit) {
    const { name, version, request } = call.input;
    // `trusted` has its own operation and data action (key-trust.ts); the PATCH route sends it there.
    if (request.attributes?.trusted !== undefined) throw badParameter('attributes.trusted is changed by setKeyTrusted, not by updateKey.');
    const current = await unit.keys.getKeyVersion(name, emptyAsLatest(version));
    if (current === undefined) throw keyNotFound(name, version);
    const keyOps = request.key_ops === undefined ? undefined : keyOperationsForUpdate(current, request.key_ops);
    const patch = attributesPatch(current, { ...request, key_ops: keyOps }, call.now);
    const updated = await unit.keys.updateKeyVersion(name, current.version, current.rowVersion, patch);
    if (updated === undefined) throw keyNotFound(name, version);
    return updated;
  },
});

/**
 * A new version, complete and sealed, ready for its unit of work: every rule of the request is checked first,
 * and the name is checked against soft-deleted keys before the material is made (generating an RSA-4096 key takes
 * seconds).
 */
export async function prepareVersion(
  call: OperationCall<NewVersionInput<KeyPropertiesRequest>>,
  store: Readers,
  family: KeyFamily,
  requestedOps: readonly string[] | undefined,
  makeMaterial: () => Promise<KeyMaterial>,
  origin: KeyOrigin,
): Promise<KeyVersion> {
  const keyOps = keyOperationsFor(family, requestedOps);
  const properties = newVersionProperties(call.input.request, call.now);
  await assertNameNotDeleted(store, call.input.name);
  return sealedVersion(call, await makeMaterial(), keyOps, { ...properties, origin });
}

function newVersionProperties(request: KeyPropertiesRequest, now: IntDate) {
  const releasePolicy = releasePolicyOf(request.release_policy);
  return { attributes: newKeyAttributes(request.attributes, releasePolicy, now), tags: request.tags, releasePolicy };
}

async function assertNameNotDeleted(store: Readers, name: string): Promise<void> {
  if ((await store.keys.getDeletedKey(name)) !== undefined) throw keyIsDeletedButRecoverable(name);
}

/** The complete version to store, its private material sealed under the name and a fresh version id. */
function sealedVersion(
  call: OperationCall<{ name: string }>,
  material: KeyMaterial,
  keyOps: string[],
  properties: Pick<KeyVersion, 'attributes' | 'tags' | 'releasePolicy' | 'origin'>,
): KeyVersion {
  const { name } = call.input;
  const version = newKeyVersion();
  return {
    name,
    version,
    family: material.family,
    keySize: material.family === 'EC' ? undefined : material.sizeBits,
    curve: material.family === 'EC' ? material.curve : undefined,
    keyOps,
    publicJwk: publicJwk(material),
    sealedMaterial: call.env.keystore.seal(name, version, material),
    rowVersion: 0,
    ...properties,
  };
}

/** Stores a new version, checked against the object limits in the same unit (storage serializes the check). */
export async function storeVersion(unit: UnitOfWork, version: KeyVersion, env: Pick<OperationEnvironment, 'limits'>): Promise<KeyVersion> {
  await addCheckedVersion(unit, version, env);
  // A later version of an existing key keeps the name the key was first created with.
  return (await unit.keys.getKeyVersion(version.name, version.version)) ?? version;
}

/** Adds a version unless its name is soft-deleted (409) or an object limit would be exceeded (409 QuotaExceeded). */
export async function addCheckedVersion(unit: UnitOfWork, version: KeyVersion, env: Pick<OperationEnvironment, 'limits'>): Promise<void> {
  const outcome = await unit.keys.addKeyVersion(version, keyObjectLimits(env.limits));
  if (outcome === 'name-is-deleted') throw keyIsDeletedButRecoverable(version.name);
  if (typeof outcome === 'object') throw keyLimitError(outcome, version.name);
}
