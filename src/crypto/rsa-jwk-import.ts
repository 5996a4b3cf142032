/**
 * Import of an RSA private key sent as a JSON Web Key (RFC 7518 §6.3.2): refused unless it is a key create
 * could have made. The order of the checks is the point of this module (issue 7):
 * 1. sizes first, on the text (jwk-members.ts) and then on the bytes, before any member becomes a number, so
 *    that all the arithmetic after them works on numbers of at most 4096 bits;
 * 2. the rules create applies: a 2048, 3072 or 4096-bit modulus and an odd e from 65537 to 2^32 - 1 (the
 *    public_exponent rule of domain/keys/key-types.ts);
 * 3. FIPS 186-5 Appendix A.1.1 on the primes: each about half the size of n, and |p - q| > 2^(nlen/2 - 100),
 *    so that a "2048-bit" n = 3·q, or two neighbouring primes that Fermat's method splits, are refused;
 * 4. consistency (an HSM's pairwise check on import): n = pq, d inverts e modulo lcm(p - 1, q - 1), and dp,
 *    dq, qi are d's CRT form;
 * 5. p and q prime: OpenSSL's Miller-Rabin (crypto.checkPrime) on the libuv pool. For RSA-4096 the two checks
 *    take about 230 ms, too long to hold the event loop (checkPrimeSync) even though it is bounded.
 */
import { checkPrime, createPrivateKey, createPublicKey, type JsonWebKey as NodeJwk } from 'node:crypto';
import { invalidCryptoRequest, type CryptoError } from './crypto-error.ts';
import {
  readJwkMember,
  RSA_JWK_MEMBER_MAX_CHARS,
  RSA_PRIME_BYTES_SLACK,
  RSA_PUBLIC_EXPONENT_MAX_BYTES,
  withoutLeadingZeros,
  type RsaMember,
} from './jwk-members.ts';
import { RSA_SIZES, type RsaMaterial } from './key-material.ts';

/**
 * How many bits p and q may each be away from half the modulus size. FIPS 186-5 generates exactly half; a few
 * bits of slack admit other generators' keys, not unbalanced ones.
 */
export const RSA_PRIME_BITS_TOLERANCE = 4;
/** FIPS 186-5 Appendix A.1.1: |p - q| > 2^(nlen/2 - 100). */
const PRIME_DISTANCE_MARGIN_BITS = 100;
const MIN_PUBLIC_EXPONENT = 65537n;
const MAX_PUBLIC_EXPONENT = 0xffff_ffffn;

const RSA_MEMBERS: readonly RsaMember[] = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'];
const WHAT = 'an RSA private key';

type RsaBytes = Readonly<Record<RsaMember, Buffer>>;
type RsaParts = Readonly<Record<RsaMember, bigint>>;

export async function importRsaJwk(jwk: Record<string, unknown>): Promise<RsaMaterial> {
  const bytes = readMembers(jwk);
  const sizeBits = checkMemberSizes(bytes);
  const parts = toBigInts(bytes);
  checkStrength(parts, sizeBits);
  if (!componentsAreConsistent(parts)) {
    throw invalidCryptoRequest(
      'The RSA key components are inconsistent (n, e, d, p, q, dp, dq and qi must belong together).',
    );
  }
  await checkPrimes(parts);
  const nodeJwk: NodeJwk = { kty: 'RSA' };
  for (const member of RSA_MEMBERS) nodeJwk[member] = bytes[member].toString('base64url');
  const privateKey = createPrivateKey({ key: nodeJwk, format: 'jwk' });
  return { family: 'RSA', sizeBits, privateKey, publicKey: createPublicKey(privateKey) };
}

/** Each member's bytes without leading zeros; a text too long for any RSA key is refused undecoded. */
function readMembers(jwk: Record<string, unknown>): RsaBytes {
  const entries = RSA_MEMBERS.map((member) => {
    const bytes = readJwkMember(jwk, member, WHAT, RSA_JWK_MEMBER_MAX_CHARS[member]);
    return [member, withoutLeadingZeros(bytes)] as const;
  });
  return Object.fromEntries(entries) as Record<RsaMember, Buffer>;
}

/**
 * The byte rules, which depend on the size of n: n of exactly 2048, 3072 or 4096 bits; e of at most 4 bytes;
 * d, dp, dq and qi no longer than n; p and q within one byte of half of n. Returns the modulus size in bits.
 */
function checkMemberSizes(bytes: RsaBytes): number {
  const sizeBits = bitLength(bytes.n);
  if (!(RSA_SIZES as readonly number[]).includes(sizeBits)) {
    throw invalidCryptoRequest(`RSA keys must be 2048, 3072 or 4096 bits; this key has ${sizeBits} bits.`);
  }
  if (bytes.e.length > RSA_PUBLIC_EXPONENT_MAX_BYTES) throw publicExponentRefused();
  const modulusBytes = sizeBits / 8;
  for (const member of ['d', 'dp', 'dq', 'qi'] as const) {
    if (bytes[member].length > modulusBytes) {
      throw invalidCryptoRequest(
        `The JSON Web Key member '${member}' of an RSA key must not be longer than its modulus n ` +
          `(${modulusBytes} bytes).`,
      );
    }
  }
  const [shortest, longest] = [modulusBytes / 2 - RSA_PRIME_BYTES_SLACK, modulusBytes / 2 + RSA_PRIME_BYTES_SLACK];
  for (const member of ['p', 'q'] as const) {
    const length = bytes[member].length;
    if (length < shortest || length > longest) {
      throw invalidCryptoRequest(
        `The JSON Web Key member '${member}' of a ${sizeBits}-bit RSA key must be ${shortest} to ${longest} bytes ` +
          'long (about half the size of n).',
      );
    }
  }
  return sizeBits;
}

function toBigInts(bytes: RsaBytes): RsaParts {
  const entries = RSA_MEMBERS.map((member) => {
    const value = bytes[member];
    return [member, value.length === 0 ? 0n : BigInt(`0x${value.toString('hex')}`)] as const;
  });
  return Object.fromEntries(entries) as Record<RsaMember, bigint>;
}

/** The rules on e and on the primes' sizes that create's keys meet by construction. */
function checkStrength(k: RsaParts, sizeBits: number): void {
  if (k.e < MIN_PUBLIC_EXPONENT || k.e > MAX_PUBLIC_EXPONENT || k.e % 2n === 0n) throw publicExponentRefused();
  const half = sizeBits / 2;
  for (const prime of [k.p, k.q]) {
    if (Math.abs(prime.toString(2).length - half) > RSA_PRIME_BITS_TOLERANCE) {
      throw invalidCryptoRequest(
        `The primes p and q of a ${sizeBits}-bit RSA key must each be ${half - RSA_PRIME_BITS_TOLERANCE} to ` +
          `${half + RSA_PRIME_BITS_TOLERANCE} bits long.`,
      );
    }
  }
  const distance = k.p > k.q ? k.p - k.q : k.q - k.p;
  if (distance <= 1n << BigInt(half - PRIME_DISTANCE_MARGIN_BITS)) {
    throw invalidCryptoRequest(
      'The primes p and q of the RSA key are too close together (FIPS 186-5 asks for |p - q| > 2^(nlen/2 - 100)).',
    );
  }
}

function componentsAreConsistent(k: RsaParts): boolean {
  if (k.p * k.q !== k.n) return false;
  const pMinus1 = k.p - 1n;
  const qMinus1 = k.q - 1n;
  const lambda = (pMinus1 / gcd(pMinus1, qMinus1)) * qMinus1;
  return (
    (k.d * k.e) % lambda === 1n &&
    k.dp === k.d % pMinus1 &&
    k.dq === k.d % qMinus1 &&
    k.qi < k.p &&
    (k.qi * k.q) % k.p === 1n
  );
}

async function checkPrimes(k: RsaParts): Promise<void> {
  const [pIsPrime, qIsPrime] = await Promise.all([isProbablePrime(k.p), isProbablePrime(k.q)]);
  if (!pIsPrime || !qIsPrime) throw invalidCryptoRequest('The RSA key components p and q must both be prime.');
}

/** OpenSSL's Miller-Rabin, with its default number of rounds, computed on the libuv pool. */
function isProbablePrime(candidate: bigint): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // Node passes undefined, not the null its types promise, when there is no error.
    checkPrime(candidate, (error, isPrime) => (error == null ? resolve(isPrime) : reject(error)));
  });
}

function publicExponentRefused(): CryptoError {
  return invalidCryptoRequest('The public exponent (e) of an RSA key must be an odd number from 65537 to 4294967295.');
}

function bitLength(bytes: Buffer): number {
  return bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + (32 - Math.clz32(bytes[0] ?? 0));
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
