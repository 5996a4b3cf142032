/**
 * Binary fields travel as base64url without padding (RFC 7515 §2). Clients in the wild also send padded or
 * standard-alphabet base64, so decoding accepts both alphabets and optional padding, and rejects anything
 * else instead of silently dropping characters as `Buffer.from(s, 'base64')` would.
 */
const LENIENT_BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes base64url or base64; returns undefined when the text is not base64 of either kind. */
export function decodeBase64Lenient(text: string): Buffer | undefined {
  if (!LENIENT_BASE64.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  return Buffer.from(unpadded.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
}
