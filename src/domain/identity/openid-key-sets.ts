/**
 * The signing keys of trusted token issuers, found by OpenID discovery: `<issuer>/.well-known/openid-configuration`
 * → `jwks_uri` (https), fetched on first use and cached (10 minutes). `jose`'s remote key set refetches the
 * JWKS when a token names a key it has not seen (key rollover), at most once per cooldown. Shared by the
 * external identity providers of `--trust-issuer` (external-issuers.ts) and the attestation authorities of
 * `--attestation-authority` (attestation-authorities.ts): both trust an issuer by its exact URL.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';

const DISCOVERY_TIMEOUT_MS = 5_000;
/** After a failed discovery, how long before the next attempt (so an unreachable issuer is not asked per request). */
const DISCOVERY_RETRY_MS = 10_000;
const JWKS_CACHE_MS = 600_000;
/** A token naming an unknown key refetches the JWKS, but not more often than this (a rollover is seen within it). */
export const JWKS_REFETCH_COOLDOWN_MS = 5_000;

interface Issuer {
  keys: Promise<JWTVerifyGetKey> | undefined;
  failedAt: number | undefined;
}

export class OpenIdKeySets {
  readonly #issuers: Map<string, Issuer>;

  constructor(issuers: readonly string[]) {
    this.#issuers = new Map(issuers.map((url) => [url, { keys: undefined, failedAt: undefined }]));
  }

  get size(): number {
    return this.#issuers.size;
  }

  /** Whether `url` is one of the trusted issuers, compared exactly. */
  has(url: string): boolean {
    return this.#issuers.has(url);
  }

  /** The issuer's key set, from its discovery document; undefined for an unknown issuer or while it cannot be reached. */
  async keysOf(url: string): Promise<JWTVerifyGetKey | undefined> {
    const issuer = this.#issuers.get(url);
    if (issuer === undefined) return undefined;
    if (issuer.keys === undefined) {
      if (issuer.failedAt !== undefined && Date.now() - issuer.failedAt < DISCOVERY_RETRY_MS) return undefined;
      issuer.keys = discoverKeys(url);
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
  return createRemoteJWKSet(jwksUri, { timeoutDuration: DISCOVERY_TIMEOUT_MS, cooldownDuration: JWKS_REFETCH_COOLDOWN_MS, cacheMaxAge: JWKS_CACHE_MS });
}
