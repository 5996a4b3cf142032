/**
 * Managed identity, App Service style (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), so that `ManagedIdentityCredential`
 * and `DefaultAzureCredential` of `@azure/identity` obtain Strongroom tokens with no secret in the application's
 * code: the operator gives the application the two values once (`principal create --managed-identity`).
 *
 * The identity header names its principal and credential generation and is authenticated by an HMAC under a key
 * derived from the security domain, so nothing about it is stored: a secret reset (a new generation) or a
 * deletion revokes it, like the principal's client secret. It is a bearer credential: keep it as secret as one.
 *
 *   header = base64url(principal id) "." generation "." base64url(HMAC-SHA256(key, "v1|" id "|" generation))
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ManagedIdentityPrincipal {
  id: string;
  generation: number;
}

export function identityHeaderFor(macKey: Buffer, principal: ManagedIdentityPrincipal): string {
  return `${Buffer.from(principal.id, 'utf8').toString('base64url')}.${principal.generation}.${mac(macKey, principal)}`;
}

/** The principal a header names when its MAC is right (its generation still to be checked against the store). */
export function parseIdentityHeader(macKey: Buffer, header: string | undefined): ManagedIdentityPrincipal | undefined {
  const match = header === undefined ? null : /^([A-Za-z0-9_-]{1,400})\.([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{43})$/.exec(header);
  if (match === null) return undefined;
  const principal = { id: Buffer.from(match[1] ?? '', 'base64url').toString('utf8'), generation: Number(match[2]) };
  const expected = Buffer.from(mac(macKey, principal), 'utf8');
  const given = Buffer.from(match[3] ?? '', 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given) ? principal : undefined;
}

function mac(key: Buffer, principal: ManagedIdentityPrincipal): string {
  return createHmac('sha256', key).update(`v1|${principal.id}|${principal.generation}`).digest('base64url');
}
