/**
 * What a PostgreSQL failure means to the storage contract, decided in one place (by SQLSTATE and by the kind of
 * error the driver raises, never by message text):
 *
 * - a lost race: serialization failure (40001) and deadlock (40P01) → `ConcurrentChangeError`; the kernel runs
 *   the unit again.
 * - a duplicate (23505) → an Error whose message starts `UNIQUE constraint failed`, as SQLite's does.
 * - the database cannot be used right now → `StoreBusyError` (503 + Retry-After): it cannot be reached or the
 *   connection broke (a socket error, or any error the driver raises that is not a server error: `pg` raises
 *   plain Errors only for connections that failed, ended or timed out), the server is shutting down or starting
 *   (57P01-57P03), connection exceptions (class 08), no connection slot (53300), a lock or statement timeout
 *   (55P03, 57014: another unit held a row lock too long, as SQLite's busy timeout).
 * Anything else passes as it is (a bug, or a programming error such as a TypeError).
 */
import pg from 'pg';
import { ConcurrentChangeError, StoreBusyError } from '../store-errors.ts';

/** The database could not be used; like every StoreBusyError, answered 503 with Retry-After. */
export class DatabaseUnavailableError extends StoreBusyError {
  /** The connection it came from is gone (rather than a timeout on a connection still usable). */
  readonly connectionLost: boolean;

  constructor(reason: string, cause: unknown, connectionLost: boolean) {
    super();
    this.message = connectionLost ? `The database is unavailable: ${reason}` : `The database is busy: ${reason}`;
    this.cause = cause;
    this.connectionLost = connectionLost;
  }
}

/** A unique constraint refused a row; the message matches SQLite's `UNIQUE constraint failed: …`. */
export class UniqueViolationError extends Error {
  constructor(error: pg.DatabaseError) {
    super(`UNIQUE constraint failed: ${error.table ?? 'a table'}${error.constraint === undefined ? '' : ` (${error.constraint})`}`);
    this.name = 'UniqueViolationError';
    this.cause = error;
  }
}

/** The server is going or not there yet (the connection is lost), and the ones a usable connection can report. */
const LOST_STATES = new Set(['57P01', '57P02', '57P03']);
const BUSY_STATES = new Set(['53300', '55P03', '57014']);

/** The contract's error for a failure of a statement run by the driver. */
export function contractError(error: unknown): unknown {
  if (error instanceof pg.DatabaseError) {
    const state = error.code ?? '';
    if (state === '40001' || state === '40P01') return new ConcurrentChangeError(`rows this unit read (SQLSTATE ${state})`);
    if (state === '23505') return new UniqueViolationError(error);
    if (state.startsWith('08') || LOST_STATES.has(state)) return new DatabaseUnavailableError(`SQLSTATE ${state}`, error, true);
    if (BUSY_STATES.has(state)) return new DatabaseUnavailableError(`SQLSTATE ${state}`, error, false);
    return error;
  }
  if (isConnectionFailure(error)) return new DatabaseUnavailableError(connectionFailureReason(error), error, true);
  return error;
}

/** True when the error means the connection it came from can no longer be used (to be discarded). */
export function breaksConnection(error: unknown): boolean {
  return error instanceof DatabaseUnavailableError && error.connectionLost;
}

/**
 * Driver errors that are not server errors: sockets (ECONNREFUSED, ECONNRESET, ENOENT for a socket path...) and
 * the driver's own "connection terminated / not queryable / timeout" errors. Programming errors stay out.
 */
function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return false;
  if (error instanceof ConcurrentChangeError || error instanceof StoreBusyError || error instanceof UniqueViolationError) return false;
  return true;
}

function connectionFailureReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'the connection failed';
}
