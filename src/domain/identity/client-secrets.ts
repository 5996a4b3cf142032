/**
 * Client secrets are stored only as scrypt hashes. Secrets the service generates carry 256 bits of entropy,
 * so the hash protects mainly against reuse of a leaked database; scrypt still costs an attacker who holds
 * the file for any human-chosen secret a later feature might accept.
 *
 * Every derivation runs on the process's one scrypt worker thread (scrypt-pool.ts), never on the libuv pool
 * that key operations use, and at most HASH_THREADS + MAX_QUEUED_HASHES derivations are admitted at once:
 * a further one throws `SecretHashingBusy` immediately (issue 7).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ScryptPool, type ScryptParameters } from './scrypt-pool.ts';

const PARAMETERS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const satisfies ScryptParameters;
const HASH_BYTES = 32;

/**
 * One thread: a login spends ~110 ms of one core, so one thread checks ~9 secrets a second per process — far
 * more than clients that cache their tokens for an hour need — and a login flood can take one core, no more.
 */
const HASH_THREADS = 1;
/** Waiting derivations: about 1.8 s of work at most; later ones are told to come back. */
const MAX_QUEUED_HASHES = 16;

const pool = new ScryptPool({ threads: HASH_THREADS, maxQueued: MAX_QUEUED_HASHES });

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** `scrypt$N$r$p$salt$hash`, so that the parameters can be raised later without breaking old hashes. */
export async function hashClientSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await pool.derive(secret, salt, HASH_BYTES, PARAMETERS);
  return ['scrypt', PARAMETERS.N, PARAMETERS.r, PARAMETERS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Throws `SecretHashingBusy` (without hashing) when too many checks are already running or waiting. */
export async function verifyClientSecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const derived = await pool.derive(secret, Buffer.from(salt, 'base64url'), HASH_BYTES, {
    N: Number(n), r: Number(r), p: Number(p), maxmem: PARAMETERS.maxmem,
  });
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

/** Starts the hashing thread now instead of on the first login. */
export function startSecretHashing(): void {
  pool.start();
}

/** How busy the hashing thread is; for tests and metrics. */
export function secretHashingStatistics(): { running: number; queued: number; completed: number } {
  return pool.statistics;
}
