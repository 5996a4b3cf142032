/**
 * Certificate credentials of service principals (RFC 7523 client authentication), as MSAL's
 * `ClientCertificateCredential` sends them: `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:
 * jwt-bearer` and a JWT signed by the certificate's private key — PS256 with `x5t#S256`, or RS256 with `x5t` —
 * whose `iss` and `sub` are the client id and whose `aud` is this tenant's token endpoint.
 *
 * Checked here: the signature under the principal's registered certificate (and its thumbprint, when the header
 * names one), the claims, a lifetime of at most 10 minutes (MSAL's), and that no assertion is used twice (its
 * `jti`, remembered until it expires).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const MAX_LIFETIME_SECONDS = 600;
const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_REMEMBERED = 100_000;

export type AssertionRejection = 'invalid' | 'replayed';

/** The thumbprints a certificate is named by in an assertion header (base64url of SHA-1 and SHA-256 of its DER). */
export function certificateThumbprints(certificatePem: string): { x5t: string; x5tS256: string } {
  const der = new X509Certificate(certificatePem).raw;
  return { x5t: createHash('sha1').update(der).digest('base64url'), x5tS256: createHash('sha256').update(der).digest('base64url') };
}

export class ClientAssertions {
  readonly #seen = new Map<string, number>();

  async verify(
    assertion: string,
    expected: { clientId: string; certificatePem: string; audiences: readonly string[] },
    nowSeconds = Date.now() / 1000,
  ): Promise<true | AssertionRejection> {
    let header;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return 'invalid';
    }
    const thumbprints = certificateThumbprints(expected.certificatePem);
    if (header.x5t !== undefined && header.x5t !== thumbprints.x5t) return 'invalid';
    if (header['x5t#S256'] !== undefined && header['x5t#S256'] !== thumbprints.x5tS256) return 'invalid';
    try {
      const { payload } = await jwtVerify(assertion, new X509Certificate(expected.certificatePem).publicKey, {
        algorithms: ['PS256', 'RS256', 'PS384', 'PS512', 'RS384', 'RS512', 'ES256', 'ES384'],
        issuer: expected.clientId,
        subject: expected.clientId,
        audience: [...expected.audiences],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(nowSeconds * 1000),
        requiredClaims: ['exp', 'jti'],
      });
      const { exp, jti } = payload;
      const starts = payload.nbf ?? payload.iat ?? nowSeconds;
      if (exp === undefined || jti === undefined || exp - starts > MAX_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) return 'invalid';
      return this.#firstUse(`${expected.clientId}|${jti}`, exp, nowSeconds) ? true : 'replayed';
    } catch {
      return 'invalid';
    }
  }

  #firstUse(key: string, expiresAt: number, nowSeconds: number): boolean {
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= MAX_REMEMBERED) {
      for (const [seenKey, seenExpiry] of this.#seen) if (seenExpiry + CLOCK_TOLERANCE_SECONDS < nowSeconds) this.#seen.delete(seenKey);
      // Still full of live assertions: refuse rather than forget one that could then be replayed.
      if (this.#seen.size >= MAX_REMEMBERED) return false;
    }
    this.#seen.set(key, expiresAt);
    return true;
  }
}
