/** Secret names and version ids, as Key Vault defines them (the same grammar as keys'). */
import { randomBytes } from 'node:crypto';
import { badParameter } from '../../errors/errors.ts';

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export function assertValidSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) {
    const shown = name.length > 127 ? `${name.slice(0, 127)}…` : name;
    throw badParameter(`The secret name '${shown}' is invalid: use 1 to 127 characters from 0-9, a-z, A-Z and '-'.`);
  }
}

/** A new version id: 32 lowercase hex characters, like the service's. */
export function newSecretVersion(): string {
  return randomBytes(16).toString('hex');
}

/** `/secrets/{name}/` (an empty version segment) and no segment both mean the latest version. */
export function emptyAsLatest(version: string | undefined): string | undefined {
  return version === undefined || version === '' ? undefined : version;
}
