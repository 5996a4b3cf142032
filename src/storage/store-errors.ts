/**
 * The two failures a store reports that are not bugs, so that the kernel can answer them properly:
 *
 * - `ConcurrentChangeError`: a unit of work lost a race (a row it read changed before it could write: a stale
 *   row version, or the backend's serialization failure). The kernel runs the unit again from the start;
 *   storage never retries on its own, because only the operation knows how to decide again on fresh data.
 * - `StoreBusyError`: the store could not start a unit of work in time (another process held the write lock
 *   for too long). Answered 503 with Retry-After; nothing was written.
 */
export class ConcurrentChangeError extends Error {
  constructor(what: string) {
    super(`A concurrent change to ${what} was detected`);
    this.name = 'ConcurrentChangeError';
  }
}

export class StoreBusyError extends Error {
  constructor() {
    super('The store is busy: another process held its write lock too long');
    this.name = 'StoreBusyError';
  }
}

export function isConcurrentChange(error: unknown): error is ConcurrentChangeError {
  return error instanceof ConcurrentChangeError;
}

export function isStoreBusy(error: unknown): error is StoreBusyError {
  return error instanceof StoreBusyError;
}
