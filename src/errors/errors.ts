/**
 * Factories for the errors the service raises, one per situation, so that wording stays consistent and the
 * call sites read as sentences: `throw keyNotFound(name)`.
 */
import type { InnerErrorCode } from './catalogue.ts';
import { StrongroomError } from './strongroom-error.ts';

export const badParameter = (message: string): StrongroomError => new StrongroomError('BadParameter', message);

/** A key or secret restore given a blob that is not a backup of this kind, or was altered or cut: Key Vault's
 * code and text, which clients match on. */
export const malformedBackup = (): StrongroomError =>
  new StrongroomError('Malformed backup blob', 'Backup blob contains invalid or corrupt version.');

export const keyNotFound = (name: string, version?: string): StrongroomError =>
  new StrongroomError(
    'KeyNotFound',
    version === undefined || version === ''
      ? `A key with (name/id) ${name} was not found in this key vault.`
      : `A key with (name/id) ${name}/${version} was not found in this key vault.`,
  );

export const deletedKeyNotFound = (name: string): StrongroomError =>
  new StrongroomError('KeyNotFound', `Deleted Key not found: ${name}`);

export const keyIsDeletedButRecoverable = (name: string): StrongroomError =>
  new StrongroomError(
    'Conflict',
    `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`,
    { inner: 'ObjectIsDeletedButRecoverable' },
  );

/** An object limit is reached (domain/limits/object-limits.ts): 409 Conflict, the message naming the limit and its value. */
export const objectLimitReached = (message: string): StrongroomError =>
  new StrongroomError('Conflict', message, { inner: 'QuotaExceeded' });

export const forbidden = (message: string, inner?: InnerErrorCode): StrongroomError =>
  new StrongroomError('Forbidden', message, inner === undefined ? {} : { inner });

export const unauthorized = (message: string, headers: Record<string, string>, inner?: InnerErrorCode): StrongroomError =>
  new StrongroomError('Unauthorized', message, inner === undefined ? { headers } : { headers, inner });

export const internalError = (cause?: unknown): StrongroomError =>
  new StrongroomError('InternalServerError', 'The service encountered an internal error.', { cause });

/**
 * Decrypt, unwrap and verify failures must be indistinguishable from the outside (no padding or tag oracle),
 * so every cryptographic failure of these operations surfaces with this one message.
 */
export const cryptoOperationFailed = (): StrongroomError =>
  new StrongroomError('BadParameter', 'The cryptographic operation failed.');
