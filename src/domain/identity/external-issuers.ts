/**
 * Tokens of a company's own identity provider (Entra ID, Keycloak, Dex…), for `--trust-issuer`: an issuer is
 * trusted by its exact `iss` URL; its signing keys come from OpenID discovery (`<issuer>/.well-known/
 * openid-configuration` → `jwks_uri`), fetched on first use and cached (10 minutes). `jose`'s remote key set
 * refetches the JWKS when a token names a key it has not seen (key rollover), at most once per 5 s cooldown.
 *
 * A token is accepted when its signature verifies with the issuer's keys (RS/PS/ES, never `none` or HMAC), it
 * is within its validity (clock tolerance as for our own tokens), and its audience is `--trust-audience` or, by
 * default, the resource the challenge names (`https://<host>`). The principal is the token's `oid`, else its
 * `sub`; role assignments name it like any other principal. Nothing is stored about external principals.
 */
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Principal, TokenRejection } from './token-service.ts';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const CLOCK_TOLERANCE_SECONDS = 60;
const DISCOVERY_TIMEOUT_MS = 5_000;
/** After a failed discovery, how long before the next attempt (so an unreachable IdP is not asked per request). */
const DISCOVERY_RETRY_MS = 10_000;
const CACHE_CAPACITY = 10_000;
/** A token naming an unknown key refetches the JWKS, but not more often than this (an IdP's rollover is seen within it). */
export const JWKS_REFETCH_COOLDOWN_MS = 5_000;

interface Issuer {
  url: string;
  keys: Promise<JWTVerifyGetKey> | undefined;
  failedAt: number | undefined;
}

export class ExternalIssuers {
  readonly #issuers: Map<string, Issuer>;
  readonly #audience: string | undefined;
  readonly #verified = new Map<string, { principal: Principal; audience: string; expiresAt: number }>();

  constructor(options: { issuers: readonly string[]; audience?: string | undefined }) {
    this.#issuers = new Map(options.issuers.map((url) => [url, { url, keys: undefined, failedAt: undefined }]));
    this.#audience = options.audience;
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
    const issuer = issuerUrl === undefined ? undefined : this.#issuers.get(issuerUrl);
    if (issuer === undefined) return 'invalid';
    const keys = await this.#keysOf(issuer);
    if (keys === undefined) return 'invalid';
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: issuer.url,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(nowSeconds * 1000),
        requiredClaims: ['exp', 'aud'],
      });
      const id = typeof payload['oid'] === 'string' ? payload['oid'] : payload.sub;
      const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
      if (id === undefined || id === '' || payload.exp === undefined) return 'invalid';
      const audience = audiences.find((candidate) => this.#acceptsAudience(candidate, resource));
      if (audience === undefined) return 'wrong-audience';
      const principal: Principal = { id, tenantId: typeof payload['tid'] === 'string' ? payload['tid'] : issuer.url };
      if (this.#verified.size >= CACHE_CAPACITY) this.#verified.clear();
      this.#verified.set(token, { principal, audience, expiresAt: payload.exp });
      return principal;
    } catch (error) {
      return error instanceof errors.JWTExpired ? 'expired' : 'invalid';
    }
  }

  #acceptsAudience(audience: string, resource: string): boolean {
    const wanted = (this.#audience ?? resource).replace(/\/+$/, '').toLowerCase();
    return audience.replace(/\/+$/, '').toLowerCase() === wanted;
  }

  /** The issuer's key set, from its discovery document; undefined while it cannot be reached. */
  async #keysOf(issuer: Issuer): Promise<JWTVerifyGetKey | undefined> {
    if (issuer.keys === undefined) {
      if (issuer.failedAt !== undefined && Date.now() - issuer.failedAt < DISCOVERY_RETRY_MS) return undefined;
      issuer.keys = discoverKeys(issuer.url);
    }
    try {
      return await issuer.keys;
    } catch {
      issuer.keys = undefined;
      issuer.failedAt = Date.now();
      return undefined;
    }
  }
}

async function discoverKeys(issuer: string): Promise<JWTVerifyGetKey> {
  const response = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`discovery of ${issuer} answered ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery §4.3: the document's issuer must be the one it was fetched for.
  if (document.issuer !== issuer || typeof document.jwks_uri !== 'string') throw new Error(`discovery of ${issuer} is not a valid OpenID configuration`);
  const jwksUri = new URL(document.jwks_uri);
  if (jwksUri.protocol !== 'https:') throw new Error(`the JWKS of ${issuer} is not served over https`);
  return createRemoteJWKSet(jwksUri, { timeoutDuration: DISCOVERY_TIMEOUT_MS, cooldownDuration: JWKS_REFETCH_COOLDOWN_MS, cacheMaxAge: 600_000 });
}
