/**
 * Operations that make or change secret versions: setSecret (a new version) and updateSecret (attributes, tags,
 * contentType; never the value), Key Vault's names.
 *
 * setSecret checks and seals in `prepare`, before the unit opens; the unit only stores the version (refused
 * when the name is soft-deleted). updateSecret reads the version inside its unit and writes conditionally on the
 * row version it read, so a concurrent change makes the kernel run it again, as updateKey does.
 */
import { sealSecretValue } from '../../keystore/secret-sealing.ts';
import type { UnitOfWork } from '../../storage/store.ts';
import { writeOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { assertValidSecretValue, newSecretAttributes, secretAttributesPatch, type SecretPropertiesRequest } from './secret-attributes.ts';
import { secretIsDeletedButRecoverable, secretNotFound } from './secret-errors.ts';
import type { SecretVersion } from './secret-model.ts';
import { assertValidSecretName, emptyAsLatest, newSecretVersion } from './secret-names.ts';
import { secretFields, secretScope } from './secret-scope.ts';

export interface SetSecretRequest extends SecretPropertiesRequest {
  value?: unknown;
}

/** A version as a new one is answered: the stored record, and the value the caller just sent. */
export interface SetSecretOutput {
  record: SecretVersion;
  value: string;
}

export const setSecret = writeOperation<{ name: string; request: SetSecretRequest }, SetSecretOutput, SetSecretOutput>({
  name: 'setSecret',
  dataAction: DataActions.setSecret,
  scope: (input) => secretScope(input.name),
  audit: (input, output) => secretFields(input.name, output?.record.version),
  async prepare({ input, now, env }, store) {
    const { name, request } = input;
    assertValidSecretName(name);
    assertValidSecretValue(request.value);
    const attributes = newSecretAttributes(request.attributes, now);
    if ((await store.secrets.getDeletedSecret(name)) !== undefined) throw secretIsDeletedButRecoverable(name);
    const version = newSecretVersion();
    const record: SecretVersion = {
      name,
      version,
      contentType: request.contentType,
      attributes,
      tags: request.tags,
      sealedValue: sealSecretValue(env.custody.roots.keyMaterial, name, version, request.value),
      rowVersion: 0,
    };
    return { record, value: request.value };
  },
  async run(_call, unit, prepared) {
    return { record: await storeSecretVersion(unit, prepared.record), value: prepared.value };
  },
});

export const updateSecret = writeOperation<{ name: string; version?: string | undefined; request: SecretPropertiesRequest }, SecretVersion>({
  name: 'updateSecret',
  dataAction: DataActions.updateSecret,
  scope: (input) => secretScope(input.name),
  audit: (input, output) => secretFields(input.name, output?.version ?? input.version),
  async run({ input, now }, unit) {
    const { name, version, request } = input;
    const current = await unit.secrets.getSecretVersion(name, emptyAsLatest(version));
    if (current === undefined) throw secretNotFound(name, version);
    const patch = secretAttributesPatch(current, request, now);
    const updated = await unit.secrets.updateSecretVersion(name, current.version, current.rowVersion, patch);
    if (updated === undefined) throw secretNotFound(name, version);
    return updated;
  },
});

export async function storeSecretVersion(unit: UnitOfWork, record: SecretVersion): Promise<SecretVersion> {
  if ((await unit.secrets.addSecretVersion(record)) === 'name-is-deleted') throw secretIsDeletedButRecoverable(record.name);
  // A later version of an existing secret keeps the name the secret was first created with.
  return (await unit.secrets.getSecretVersion(record.name, record.version)) ?? record;
}
