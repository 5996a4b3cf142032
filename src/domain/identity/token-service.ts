/**
 * Access tokens: short-lived ES256 JWTs that the service signs itself and checks on every data-plane request.
 *
 * A token's signature, issuer, audience and expiry are verified the first time a process sees it; the verified
 * claims are then kept in a bounded cache keyed by the exact token text, and expiry and audience are checked
 * again on every request. This keeps a request from paying an ECDSA verification (about as much as the ES256
 * sign it may ask for) while checking exactly what a full verification would.
 *
 * Issuer: MSAL requires the `issuer` of the OpenID discovery document to have the scheme, host and port the
 * client used as its authority, so a token names the host it was requested from:
 * `https://<host>/<tenant>/v2.0`. Verification accepts an https issuer for our tenant on any host our TLS
 * certificate covers; only this service holds the signing key, so a valid signature already proves the origin.
 */
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, jwtVerify, SignJWT, type JWK } from 'jose';

export interface Principal {
  /** Object id of the service principal (also its client id). */
  readonly id: string;
  readonly tenantId: string;
}

export interface VerifiedToken {
  readonly principal: Principal;
  readonly audience: string;
  readonly expiresAt: number;
}

export type TokenRejection = 'invalid' | 'expired' | 'wrong-audience';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: JWK;
}

const CACHE_CAPACITY = 10_000;
const CLOCK_TOLERANCE_SECONDS = 60;

export function createSigningKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
}

export async function describeSigningKey(privateKey: KeyObject): Promise<SigningKey> {
  const publicKey = createPublicKey(privateKey);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' } };
}

export class TokenService {
  readonly #signingKey: SigningKey;
  readonly #tenantId: string;
  readonly #lifetimeSeconds: number;
  readonly #isOwnHost: (hostname: string) => boolean;
  readonly #verified = new Map<string, VerifiedToken>();

  constructor(options: {
    signingKey: SigningKey;
    tenantId: string;
    lifetimeSeconds: number;
    /** Whether a host name is one this service answers to (covered by its TLS certificate). */
    isOwnHost: (hostname: string) => boolean;
  }) {
    this.#signingKey = options.signingKey;
    this.#tenantId = options.tenantId;
    this.#lifetimeSeconds = options.lifetimeSeconds;
    this.#isOwnHost = options.isOwnHost;
  }

  get tenantId(): string {
    return this.#tenantId;
  }

  get lifetimeSeconds(): number {
    return this.#lifetimeSeconds;
  }

  /** The public keys a client needs to verify our tokens (the JWKS document). */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.#signingKey.publicJwk] };
  }

  issuerFor(origin: string): string {
    return `${origin}/${this.#tenantId}/v2.0`;
  }

  async issue(principalId: string, audience: string, issuerOrigin: string): Promise<string> {
    return new SignJWT({ tid: this.#tenantId, oid: principalId, appid: principalId, azp: principalId, idtyp: 'app', ver: '2.0' })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.#signingKey.kid })
      .setIssuer(this.issuerFor(issuerOrigin))
      .setSubject(principalId)
      .setAudience(audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${this.#lifetimeSeconds}s`)
      .setJti(randomUUID())
      .sign(this.#signingKey.privateKey);
  }

  /** Verifies a bearer token for a request whose resource is `audience`. */
  async verify(token: string, audience: string, nowSeconds = Date.now() / 1000): Promise<Principal | TokenRejection> {
    let verified = this.#verified.get(token);
    if (verified === undefined) {
      const fresh = await this.#verifySignedToken(token);
      if (typeof fresh === 'string') return fresh;
      verified = fresh;
      this.#remember(token, verified);
    }
    if (verified.expiresAt + CLOCK_TOLERANCE_SECONDS <= nowSeconds) {
      this.#verified.delete(token);
      return 'expired';
    }
    return verified.audience === audience.toLowerCase() ? verified.principal : 'wrong-audience';
  }

  async #verifySignedToken(token: string): Promise<VerifiedToken | TokenRejection> {
    try {
      const { payload } = await jwtVerify(token, this.#signingKey.publicKey, {
        algorithms: ['ES256'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['iss', 'aud', 'exp', 'sub', 'tid'],
      });
      const audience = typeof payload.aud === 'string' ? payload.aud : undefined;
      if (audience === undefined || payload.sub === undefined || payload.exp === undefined) return 'invalid';
      if (payload['tid'] !== this.#tenantId || !this.#isOurIssuer(payload.iss)) return 'invalid';
      return {
        principal: { id: payload.sub, tenantId: this.#tenantId },
        audience: audience.toLowerCase(),
        expiresAt: payload.exp,
      };
    } catch (error) {
      return (error as { code?: unknown }).code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid';
    }
  }

  #isOurIssuer(issuer: string | undefined): boolean {
    if (issuer === undefined) return false;
    try {
      const url = new URL(issuer);
      return url.protocol === 'https:' && url.pathname === `/${this.#tenantId}/v2.0` && this.#isOwnHost(url.hostname);
    } catch {
      return false;
    }
  }

  #remember(token: string, verified: VerifiedToken): void {
    if (this.#verified.size >= CACHE_CAPACITY) {
      const oldest = this.#verified.keys().next();
      if (oldest.done !== true) this.#verified.delete(oldest.value);
    }
    this.#verified.set(token, verified);
  }
}
