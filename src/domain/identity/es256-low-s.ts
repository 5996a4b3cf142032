/**
 * Canonical (low-S) ES256 signatures. An ECDSA signature (r, s) has a twin (r, n − s) that verifies as well,
 * so anyone holding one of our tokens can mint a second, different token text that verifies — a new cache key,
 * a new "unique" token for anything that keys on the text. We accept only s ≤ n/2 and issue only such
 * signatures (Node's signer, and so jose's, yields s > n/2 about half the time; flipping s keeps the header and
 * claims byte for byte). Issue 7, Info #13.
 *
 * JWS ES256 signatures are r ‖ s, 32 bytes each, big-endian (RFC 7518 §3.4).
 */

/** The order n of the P-256 group (SEC 2 §2.4.2). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_ORDER = P256_ORDER >> 1n;
const COORDINATE_BYTES = 32;

/** Whether the compact JWS carries a 64-byte ES256 signature with s ≤ n/2. */
export function hasLowS(jws: string): boolean {
  const signature = signatureOf(jws);
  return signature !== undefined && readS(signature) <= HALF_ORDER;
}

/** The same JWS with s replaced by n − s when s > n/2; anything else is returned unchanged. */
export function toLowS(jws: string): string {
  const signature = signatureOf(jws);
  if (signature === undefined) return jws;
  const s = readS(signature);
  if (s <= HALF_ORDER) return jws;
  const lowS = Buffer.from((P256_ORDER - s).toString(16).padStart(COORDINATE_BYTES * 2, '0'), 'hex');
  const canonical = Buffer.concat([signature.subarray(0, COORDINATE_BYTES), lowS]);
  return `${jws.slice(0, jws.lastIndexOf('.'))}.${canonical.toString('base64url')}`;
}

function signatureOf(jws: string): Buffer | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3 || parts[2] === undefined || !/^[A-Za-z0-9_-]+$/.test(parts[2])) return undefined;
  const signature = Buffer.from(parts[2], 'base64url');
  return signature.length === 2 * COORDINATE_BYTES ? signature : undefined;
}

function readS(signature: Buffer): bigint {
  return BigInt(`0x${signature.subarray(COORDINATE_BYTES).toString('hex')}`);
}
