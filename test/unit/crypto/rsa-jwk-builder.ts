/**
 * Builds RSA private JWKs from chosen primes, so that import tests can make keys that are self-consistent
 * (n = pq, d and its CRT parts computed properly) yet break one strength rule: a tiny p, unbalanced primes,
 * primes too close together, a composite "prime", an exponent create would refuse.
 */
import { checkPrimeSync, generatePrime } from 'node:crypto';

export type RsaJwk = Record<'kty' | 'n' | 'e' | 'd' | 'p' | 'q' | 'dp' | 'dq' | 'qi', string>;

export function base64UrlOf(value: bigint): string {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex').toString('base64url');
}

export function bigIntOf(base64url: string): bigint {
  const hex = Buffer.from(base64url, 'base64url').toString('hex');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

export function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** a^-1 mod m (extended Euclid); undefined when there is none. */
export function modularInverse(a: bigint, m: bigint): bigint | undefined {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  return oldR === 1n ? ((oldS % m) + m) % m : undefined;
}

/**
 * The JWK of the key with factors p and q and exponent e; undefined when e has no inverse modulo
 * lcm(p - 1, q - 1) (the caller picks other primes). p and q need not be prime: the arithmetic is the same.
 */
export function rsaJwkFromFactors(p: bigint, q: bigint, e = 65537n): RsaJwk | undefined {
  const lambda = ((p - 1n) / gcd(p - 1n, q - 1n)) * (q - 1n);
  const d = modularInverse(e, lambda);
  const qi = modularInverse(q, p);
  if (d === undefined || qi === undefined) return undefined;
  const members = { n: p * q, e, d, p, q, dp: d % (p - 1n), dq: d % (q - 1n), qi };
  const encoded = Object.fromEntries(Object.entries(members).map(([name, value]) => [name, base64UrlOf(value)]));
  return { kty: 'RSA', ...encoded } as RsaJwk;
}

/** A random probable prime of exactly `bits` bits (OpenSSL sets the top bit), on the libuv pool. */
export function randomPrime(bits: number): Promise<bigint> {
  return new Promise((resolve, reject) => {
    generatePrime(bits, { bigint: true }, (error, prime) => (error == null ? resolve(prime) : reject(error)));
  });
}

/** The smallest prime above `value`. */
export function nextPrime(value: bigint): bigint {
  let candidate = value % 2n === 0n ? value + 1n : value + 2n;
  while (!checkPrimeSync(candidate)) candidate += 2n;
  return candidate;
}

/**
 * Primes of `pBits` and `qBits` bits whose product has exactly `nBits` bits and for which e = 65537 (or `e`)
 * is invertible, with their JWK.
 */
export async function rsaJwkOfSizes(pBits: number, qBits: number, nBits: number, e = 65537n): Promise<RsaJwk> {
  for (;;) {
    const [p, q] = await Promise.all([randomPrime(pBits), randomPrime(qBits)]);
    if (bitLength(p * q) !== nBits) continue;
    const jwk = rsaJwkFromFactors(p, q, e);
    if (jwk !== undefined) return jwk;
  }
}
