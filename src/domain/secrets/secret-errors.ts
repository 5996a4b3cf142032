/**
 * The errors of secret operations, with Key Vault's texts (SDK recordings of the live service).
 * Key Vault answers a missing secret with `SecretNotFound` and a withheld value with inner code `SecretDisabled`.
 */
import type { ErrorCode } from '../../errors/catalogue.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';

const NOT_FOUND_CODE: ErrorCode = 'SecretNotFound';

export const secretNotFound = (name: string, version?: string | undefined): StrongroomError =>
  new StrongroomError(
    NOT_FOUND_CODE,
    `A secret with (name/id) ${version === undefined || version === '' ? name : `${name}/${version}`} was not found in this key vault. ` +
      'If you recently deleted this secret you may be able to recover it using the correct recovery command.',
  );

export const deletedSecretNotFound = (name: string): StrongroomError =>
  new StrongroomError(NOT_FOUND_CODE, `Deleted Secret not found: ${name}`);

export const secretIsDeletedButRecoverable = (name: string): StrongroomError =>
  new StrongroomError(
    'Conflict',
    `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
    { inner: 'ObjectIsDeletedButRecoverable' },
  );

export const secretNameTaken = (name: string): StrongroomError =>
  new StrongroomError('Conflict', `A secret with the name '${name}' already exists in this key vault; a backup is restored only under a name that is free.`);

/** Key Vault's text for a get of a disabled secret. */
export const secretDisabled = (): StrongroomError =>
  new StrongroomError('Forbidden', 'Operation get is not allowed on a disabled secret.', { inner: 'SecretDisabled' });

/** Strongroom's own (Key Vault returns such values; see docs/secrets.md). */
export const secretNotYetValid = (): StrongroomError =>
  new StrongroomError('Forbidden', 'Operation get is not allowed on a secret that is not yet valid (nbf).', { inner: 'SecretDisabled' });

export const secretExpired = (): StrongroomError =>
  new StrongroomError('Forbidden', 'Operation get is not allowed on an expired secret (exp).', { inner: 'SecretDisabled' });
