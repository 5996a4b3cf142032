/**
 * The attestation authorities a secure key release trusts (`--attestation-authority URL`, repeatable): services
 * such as Microsoft Azure Attestation that vouch for a trusted execution environment with a signed JWT. An
 * authority is trusted by its exact `iss` URL; its signing keys come from its OpenID metadata and JWKS, cached,
 * rollover followed (openid-key-sets.ts).
 *
 * A token is accepted when its issuer is configured, its signature verifies with that issuer's keys (RS/PS/ES;
 * never `none` or HMAC), and it is inside `nbf`/`exp` (a small clock skew allowed; `exp` required). Refusals:
 *
 *   not a JWT at all                                     400 BadParameter
 *   untrusted issuer, bad or missing signature, expired,
 *   not yet valid, the authority's keys unreachable      403 Forbidden "Target environment attestation
 *                                                        statement cannot be verified…" (Azure's text)
 *
 * Messages never repeat the token or anything taken from it (its issuer is unverified input).
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { badParameter, forbidden } from '../../errors/errors.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { OpenIdKeySets } from './openid-key-sets.ts';

export interface VerifiedAttestation {
  /** The token's issuer: one of the configured authorities, exactly. */
  issuer: string;
  claims: Record<string, unknown>;
}

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
/** Clocks of a TEE, an authority and this service drift a little; not more than this. */
export const ATTESTATION_CLOCK_SKEW_SECONDS = 60;
/** Far beyond any real attestation token (an MAA token with a TPM quote is some 10 KB); bounds the work. */
const MAX_TOKEN_CHARS = 64 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export class AttestationAuthorities {
  readonly authorities: readonly string[];
  readonly #keys: OpenIdKeySets;

  constructor(options: { authorities: readonly string[] }) {
    this.authorities = options.authorities;
    this.#keys = new OpenIdKeySets(options.authorities);
  }

  /** The token's verified issuer and claims; throws the refusal described above. */
  async verifyToken(token: string, now: IntDate): Promise<VerifiedAttestation> {
    const issuer = assertAttestationTokenShape(token);
    if (issuer === undefined || !this.#keys.has(issuer)) throw unverifiable('its issuer is not a trusted attestation authority');
    const keys = await this.#keys.keysOf(issuer);
    if (keys === undefined) throw unverifiable("the attestation authority's signing keys cannot be fetched");
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        algorithms: ALGORITHMS,
        clockTolerance: ATTESTATION_CLOCK_SKEW_SECONDS,
        currentDate: new Date(now * 1000),
        requiredClaims: ['exp'],
      });
      return { issuer, claims: payload as Record<string, unknown> };
    } catch (error) {
      throw unverifiable(reasonOf(error));
    }
  }
}

/**
 * Checks that `token` is a compact JWT (three base64url parts, a JSON header and a JSON object payload) and
 * returns its claimed (unverified) issuer; 400 when it is not a JWT at all.
 */
export function assertAttestationTokenShape(token: string): string | undefined {
  if (token.length > MAX_TOKEN_CHARS || !COMPACT_JWS.test(token)) throw notAToken();
  try {
    decodeProtectedHeader(token);
    const issuer = decodeJwt(token).iss;
    return typeof issuer === 'string' ? issuer : undefined;
  } catch {
    throw notAToken();
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') return 'the token is not yet valid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is unsigned or signed with an algorithm that is not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return "its signature does not verify with the attestation authority's keys";
  }
  return 'the token is not acceptable';
}

function unverifiable(reason: string) {
  return forbidden(`Target environment attestation statement cannot be verified: ${reason}.`, 'AccessDenied');
}

function notAToken() {
  return badParameter('The release target must be an attestation token: a JWT issued by a trusted attestation authority.');
}
