/**
 * Every wire error code Strongroom can answer with, and the HTTP status it travels with.
 *
 * One table, keyed by the Key Vault wire code (the `error.code` of the envelope), so that a search for a
 * code an SDK reports lands here. `docs/errors.md` lists the same table for users; a test keeps the two
 * in step.
 */
export const errorCatalogue = {
  BadParameter: { status: 400, summary: 'The request is malformed or a parameter is invalid.' },
  // Key Vault's code for a restore of a blob that is no backup, spaces and all (recorded traffic).
  'Malformed backup blob': { status: 400, summary: 'A restore was given a backup that is truncated, altered or of another kind.' },
  Unauthorized: { status: 401, summary: 'No valid bearer token was presented.' },
  Forbidden: { status: 403, summary: 'The caller or the key does not allow this operation.' },
  KeyNotFound: { status: 404, summary: 'No key (or deleted key) with this name or version exists.' },
  SecretNotFound: { status: 404, summary: 'No secret (or deleted secret) with this name or version exists.' },
  PrincipalNotFound: { status: 404, summary: 'No service principal with this client id exists.' },
  RoleDefinitionNotFound: { status: 404, summary: 'No role definition with this name (GUID) exists.' },
  RoleAssignmentNotFound: { status: 404, summary: 'No role assignment with this name (GUID) exists at this scope.' },
  NotFound: { status: 404, summary: 'No such endpoint, or no backup or restore operation with this job id.' },
  MethodNotAllowed: { status: 405, summary: 'The endpoint exists but not for this HTTP method.' },
  RequestTimeout: { status: 408, summary: 'The request was not received completely in time.' },
  RoleAssignmentExists: { status: 409, summary: 'The principal already has this role at this scope.' },
  Conflict: { status: 409, summary: 'The name is held by another object, e.g. a soft-deleted key.' },
  RequestEntityTooLarge: { status: 413, summary: 'The request body is larger than the service accepts.' },
  UnsupportedMediaType: { status: 415, summary: 'The request body is not JSON in UTF-8.' },
  ExpectationFailed: { status: 417, summary: 'The request has an Expect header other than 100-continue.' },
  RequestHeaderFieldsTooLarge: { status: 431, summary: 'The request headers are larger than the service accepts.' },
  Throttled: { status: 429, summary: 'Too many requests; retry after the advertised delay.' },
  InternalServerError: { status: 500, summary: 'An unexpected failure; details are in the server log.' },
  ServiceUnavailable: { status: 503, summary: 'The service cannot serve requests right now.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** Codes that travel in `error.innererror.code` to refine a top-level code. */
export type InnerErrorCode =
  | 'ObjectIsDeletedButRecoverable'
  | 'ForbiddenByRbac'
  | 'KeyDisabled'
  | 'KeyOperationForbidden'
  | 'KeyNotYetValid'
  | 'KeyExpired'
  /** A get of a secret whose value is withheld: disabled, or outside its nbf/exp window. */
  | 'SecretDisabled'
  | 'InvalidToken'
  | 'TokenExpired'
  /** A release target (attestation token) that cannot be verified, as Azure answers it. */
  | 'AccessDenied'
  /** An object limit (keys, versions, handles, role definitions or assignments) is reached (409 Conflict). */
  | 'QuotaExceeded';
