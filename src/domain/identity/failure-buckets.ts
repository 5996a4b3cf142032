/**
 * Token buckets keyed by a string, counting failures: a key may fail `burst` times at once and earns
 * `refillPerSecond` failures back over time. The clock is an argument (milliseconds), so the arithmetic is
 * pure and tests need no sleeps.
 *
 * Memory is bounded: at most `maxKeys` keys are tracked. A key is moved to the back each time it spends, so
 * the first key in the map is the one that failed longest ago — the one most likely to have refilled — and is
 * the one evicted. A key whose bucket is full again is forgotten (it is the same as an untracked key).
 */

export interface BucketPolicy {
  /** Failures a key may spend at once. */
  readonly burst: number;
  /** Failures earned back per second. */
  readonly refillPerSecond: number;
  /** Keys tracked at most; the one that spent longest ago is dropped first. */
  readonly maxKeys: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class FailureBuckets {
  readonly #policy: BucketPolicy;
  readonly #buckets = new Map<string, Bucket>();

  constructor(policy: BucketPolicy) {
    if (!(policy.burst >= 1 && policy.refillPerSecond > 0 && policy.maxKeys >= 1)) {
      throw new TypeError('a failure bucket needs burst >= 1, refillPerSecond > 0 and maxKeys >= 1');
    }
    this.#policy = policy;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Seconds (fractional) until `key` may spend one failure; 0 when it may now. */
  waitSeconds(key: string, nowMs: number): number {
    const tokens = this.#level(key, nowMs);
    return tokens >= 1 ? 0 : (1 - tokens) / this.#policy.refillPerSecond;
  }

  spend(key: string, nowMs: number): void {
    const tokens = this.#level(key, nowMs) - 1;
    this.#buckets.delete(key);
    this.#buckets.set(key, { tokens, at: nowMs });
    while (this.#buckets.size > this.#policy.maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (oldest.done === true) break;
      this.#buckets.delete(oldest.value);
    }
  }

  /** Gives one failure back (an attempt reserved with `spend` that did not fail). */
  refund(key: string, nowMs: number): void {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return;
    const tokens = Math.min(this.#policy.burst, this.#level(key, nowMs) + 1);
    if (tokens >= this.#policy.burst) this.#buckets.delete(key);
    else Object.assign(bucket, { tokens, at: nowMs });
  }

  #level(key: string, nowMs: number): number {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return this.#policy.burst;
    const earned = (Math.max(0, nowMs - bucket.at) / 1000) * this.#policy.refillPerSecond;
    return Math.min(this.#policy.burst, bucket.tokens + earned);
  }
}
