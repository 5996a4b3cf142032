/**
 * The token endpoint's throttle of FAILED logins (issue 7). The endpoint needs no token and every guess costs a
 * ~110 ms scrypt, so without a limit anyone who can reach it can buy a core of CPU for free. Failures are
 * counted per client id and per source address, each with a token bucket (failure-buckets.ts); an attempt is
 * admitted only if both may fail once more, and admission reserves that failure on both *before* the secret
 * is hashed, so concurrent guesses cannot overrun the budget. An attempt that turns out not to fail (a good
 * secret, or one that was never hashed) is released, so a successful login never counts against anybody.
 *
 * Trade-off, accepted: a client id under attack is refused for everyone, its owner included, until its bucket
 * refills (about a second per failure). Client ids are random UUIDs, and tokens live an hour in the client's
 * cache, so this is a short, targeted denial rather than a way in.
 *
 * Unknown client ids are counted exactly like known ones (otherwise the throttle would tell which exist).
 * The limits hold per process: with `--workers N` an address may fail N times as often.
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { FailureBuckets, type BucketPolicy } from './failure-buckets.ts';

/** Keys tracked per kind (clients, addresses); a bucket is ~100 bytes, so 10 000 is about 1 MB each. */
export const MAX_TRACKED_KEYS = 10_000;

/** Ten wrong secrets in a row for one client id, then one a second. */
export const CLIENT_FAILURES: BucketPolicy = { burst: 10, refillPerSecond: 1, maxKeys: MAX_TRACKED_KEYS };

/**
 * Looser per address, so that a few misconfigured clients behind one NAT do not lock each other out at once,
 * while one address still cannot hash more than one wrong secret a second for long.
 */
export const ADDRESS_FAILURES: BucketPolicy = { burst: 30, refillPerSecond: 1, maxKeys: MAX_TRACKED_KEYS };

export interface LoginAttempt {
  readonly clientId: string;
  readonly sourceAddress: string;
}

export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterSeconds: number };

export class LoginThrottle {
  readonly #now: () => number;
  readonly #clients: FailureBuckets;
  readonly #addresses: FailureBuckets;

  constructor(options: { now?: () => number; clients?: BucketPolicy; addresses?: BucketPolicy } = {}) {
    this.#now = options.now ?? Date.now;
    this.#clients = new FailureBuckets(options.clients ?? CLIENT_FAILURES);
    this.#addresses = new FailureBuckets(options.addresses ?? ADDRESS_FAILURES);
  }

  /** Keys currently tracked, per kind; for tests of the memory bound. */
  get tracked(): { clients: number; addresses: number } {
    return { clients: this.#clients.size, addresses: this.#addresses.size };
  }

  /** Admits an attempt and reserves one failure for it, or says how many whole seconds to wait. */
  admit(attempt: LoginAttempt): Admission {
    const now = this.#now();
    const client = clientKey(attempt.clientId);
    const address = addressKey(attempt.sourceAddress);
    const wait = Math.max(this.#clients.waitSeconds(client, now), this.#addresses.waitSeconds(address, now));
    if (wait > 0) return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
    this.#clients.spend(client, now);
    this.#addresses.spend(address, now);
    return { admitted: true };
  }

  /** Gives back the failure `admit` reserved, for an attempt that did not fail. */
  release(attempt: LoginAttempt): void {
    const now = this.#now();
    this.#clients.refund(clientKey(attempt.clientId), now);
    this.#addresses.refund(addressKey(attempt.sourceAddress), now);
  }
}

/**
 * Client ids compare case-insensitively (they are GUIDs), and are hashed so that a 16 KB client_id does not
 * cost 16 KB of throttle memory.
 */
export function clientKey(clientId: string): string {
  return createHash('sha256').update(clientId.toLowerCase()).digest('base64url');
}

/**
 * IPv4 addresses (also IPv4-mapped IPv6 ones) count one by one; IPv6 addresses by their /64, since one host is
 * usually handed a whole /64 and could otherwise rotate through 2^64 fresh buckets.
 */
export function addressKey(address: string): string {
  const unzoned = address.split('%')[0] ?? '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(unzoned)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  if (isIPv4(unzoned)) return unzoned;
  if (!isIPv6(unzoned)) return `other:${address.slice(0, 64)}`;
  return `${ipv6Groups(unzoned).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])));
  const before = groupsOf(head);
  const after = tail === undefined ? [] : groupsOf(tail);
  const zeros = Array.from({ length: Math.max(0, 8 - before.length - after.length) }, () => '0');
  return [...before, ...zeros, ...after].map((group) => Number.parseInt(group, 16).toString(16));
}
