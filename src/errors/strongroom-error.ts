/**
 * The one error type the domain throws. The error-handler plugin renders it as the Key Vault envelope
 * `{"error":{"code","message","innererror"}}`; anything else that escapes a handler is a bug and becomes a
 * generic 500. Messages must never carry key material or request payloads.
 */
import { errorCatalogue, type ErrorCode, type InnerErrorCode } from './catalogue.ts';

export class StrongroomError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly inner: InnerErrorCode | undefined;
  /** Extra response headers, e.g. `Retry-After` for 429 or `WWW-Authenticate` for 401. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { inner?: InnerErrorCode; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrongroomError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.inner = options.inner;
    this.headers = options.headers ?? {};
  }
}

export function isStrongroomError(value: unknown): value is StrongroomError {
  return value instanceof StrongroomError;
}
