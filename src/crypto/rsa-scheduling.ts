/**
 * Where an RSA private-key operation runs: on the request's own thread, or on the libuv thread pool.
 *
 * The service runs one worker per core, so the pool adds no computing capacity; what it buys is that a long
 * operation does not stall the other requests of its worker. Handing an operation to the pool and back costs
 * two cross-thread wake-ups, about 0.1 ms on the machines measured (more than 10% of an RSA-2048 signature),
 * while an RSA-3072/4096 private-key operation blocks for 2.5-8 ms. So operations with keys up to 2048 bits
 * run inline and larger ones go to the pool. `npm run bench` measures both sides of this trade.
 */
import type { KeyObject } from 'node:crypto';

const INLINE_MAX_MODULUS_BITS = 2048;

export function runsInline(privateKey: KeyObject): boolean {
  return (privateKey.asymmetricKeyDetails?.modulusLength ?? Number.POSITIVE_INFINITY) <= INLINE_MAX_MODULUS_BITS;
}
