/**
 * Tokens of a company's own identity provider (Entra ID, Keycloak, Dex…), for `--trust-issuer`: an issuer is
 * trusted by its exact `iss` URL; its signing keys come from OpenID discovery, cached, rollover followed
 * (openid-key-sets.ts, shared with the attestation authorities of secure key release).
 *
 * A token is accepted when its signature verifies with the issuer's keys (RS/PS/ES, never `none` or HMAC), it
 * is within its validity (clock tolerance as for our own tokens), and its audience is `--trust-audience` or, by
 * default, the resource the challenge names (`https://<host>`). The principal is the token's `oid`, else its
 * `sub`; role assignments name it like any other principal. Nothing is stored about external principals.
 * An external id that is the id of one of our own service principals is refused (401): otherwise whoever
 * administers the issuer could mint a subject with the first administrator's id and hold its roles. (All
 * trusted issuers share one id namespace: trust issuers whose ids are unique, such as Entra object ids.)
 */
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { OpenIdKeySets } from './openid-key-sets.ts';
import type { Principal, TokenRejection } from './token-service.ts';

export { JWKS_REFETCH_COOLDOWN_MS } from './openid-key-sets.ts';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const CLOCK_TOLERANCE_SECONDS = 60;
const CACHE_CAPACITY = 10_000;

export class ExternalIssuers {
  readonly #issuers: OpenIdKeySets;
  readonly #audience: string | undefined;
  readonly #verified = new Map<string, { principal: Principal; audience: string; expiresAt: number }>();
  readonly #isLocalPrincipal: (id: string) => Promise<boolean>;

  constructor(options: { issuers: readonly string[]; audience?: string | undefined; isLocalPrincipal: (id: string) => Promise<boolean> }) {
    this.#issuers = new OpenIdKeySets(options.issuers);
    this.#audience = options.audience;
    this.#isLocalPrincipal = options.isLocalPrincipal;
  }

  get isEmpty(): boolean {
    return this.#issuers.size === 0;
  }

  /** Whether the token claims to come from a trusted issuer (its signature not yet checked). */
  claims(token: string): boolean {
    if (this.#issuers.size === 0) return false;
    try {
      const issuer = decodeJwt(token).iss;
      return issuer !== undefined && this.#issuers.has(issuer);
    } catch {
      return false;
    }
  }

  async verify(token: string, resource: string, nowSeconds = Date.now() / 1000): Promise<Principal | TokenRejection> {
    const cached = this.#verified.get(token);
    if (cached !== undefined) {
      if (cached.expiresAt + CLOCK_TOLERANCE_SECONDS <= nowSeconds) {
        this.#verified.delete(token);
        return 'expired';
      }
      return this.#acceptsAudience(cached.audience, resource) ? cached.principal : 'wrong-audience';
    }
    let issuerUrl: string | undefined;
    try {
      issuerUrl = decodeJwt(token).iss;
    } catch {
      return 'invalid';
    }
    if (issuerUrl === undefined || !this.#issuers.has(issuerUrl)) return 'invalid';
    const keys = await this.#issuers.keysOf(issuerUrl);
    if (keys === undefined) return 'invalid';
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: issuerUrl,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(nowSeconds * 1000),
        requiredClaims: ['exp', 'aud'],
      }));
    } catch (error) {
      return error instanceof errors.JWTExpired ? 'expired' : 'invalid';
    }
    const id = typeof payload['oid'] === 'string' ? payload['oid'] : payload.sub;
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    if (id === undefined || id === '' || payload.exp === undefined) return 'invalid';
    const audience = audiences.find((candidate) => this.#acceptsAudience(candidate, resource));
    if (audience === undefined) return 'wrong-audience';
    // A store that cannot answer fails the request (503), not the token.
    if (await this.#isLocalPrincipal(id)) return 'invalid';
    const principal: Principal = { id, tenantId: typeof payload['tid'] === 'string' ? payload['tid'] : issuerUrl };
    if (this.#verified.size >= CACHE_CAPACITY) this.#verified.clear();
    this.#verified.set(token, { principal, audience, expiresAt: payload.exp });
    return principal;
  }

  #acceptsAudience(audience: string, resource: string): boolean {
    const wanted = (this.#audience ?? resource).replace(/\/+$/, '').toLowerCase();
    return audience.replace(/\/+$/, '').toLowerCase() === wanted;
  }
}
