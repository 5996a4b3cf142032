/** Key and version identifiers as Key Vault defines them. */
import { randomBytes } from 'node:crypto';
import { badParameter } from '../../errors/errors.ts';

const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export function assertValidKeyName(name: string): void {
  if (!KEY_NAME.test(name)) {
    const shown = name.length > 127 ? `${name.slice(0, 127)}…` : name;
    throw badParameter(
      `The key name '${shown}' is invalid: use 1 to 127 characters from 0-9, a-z, A-Z and '-'.`,
    );
  }
}

/** A new version id: 32 lowercase hex characters, like the service's (a UUID without dashes). */
export function newKeyVersion(): string {
  return randomBytes(16).toString('hex');
}

/** Clients address "the latest version" with an empty version segment (`/keys/{name}/`) or none at all. */
export function emptyAsLatest(version: string | undefined): string | undefined {
  return version === undefined || version === '' ? undefined : version;
}
