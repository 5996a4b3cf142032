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
 *
 * What a token must also be (issue 7, Info #13), so that a valid signature is not all it takes:
 *   - for a principal that still exists: `isActivePrincipal` is asked on first verification and again whenever
 *     the cached verification is older than PRINCIPAL_RECHECK_SECONDS, so deleting a principal revokes its
 *     tokens within that bound; and, given the node's change beacon (`changes`), again after any commit of the
 *     node's processes, so that on one node a revocation applies to the next request on every worker;
 *   - no longer-lived than we issue: `iat` is required and `exp - iat` may not exceed the configured lifetime
 *     (plus the clock tolerance), so a token claiming to last until 9999 is refused;
 *   - not issued in the future: `iat` at most CLOCK_TOLERANCE_SECONDS ahead;
 *   - signed canonically: only low-S ES256 signatures verify, and we issue only those (es256-low-s.ts).
 */
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import type { ChangeProbe } from '../../storage/change-aware-cache.ts';
import { hasLowS, toLowS } from './es256-low-s.ts';

export interface Principal {
  /** Object id of the service principal (also its client id). */
  readonly id: string;
  readonly tenantId: string;
}

export interface VerifiedToken {
  readonly principal: Principal;
  readonly audience: string;
  readonly expiresAt: number;
  /** The credential generation of the principal the token was issued under. */
  readonly generation: number;
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
/**
 * How long one `isActivePrincipal` answer vouches for a cached token: a deleted principal's tokens, or those of
 * a secret that was reset, stop working at most this long after the change on other nodes (at once in the
 * process that made it, `forgetPrincipal`, and on the node's other workers, through the change beacon). A busy
 * client costs one principal lookup per this interval.
 */
export const PRINCIPAL_RECHECK_SECONDS = 2;

interface CachedVerification extends VerifiedToken {
  /** When `isActivePrincipal` last said yes (seconds), and the re-check under way, if any. */
  principalCheckedAt: number;
  /** The change generation that answer was asked in. */
  checkedGeneration: number;
  recheck: Promise<boolean> | undefined;
}

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
  readonly #isActivePrincipal: (principalId: string, generation: number) => Promise<boolean>;
  readonly #verified = new Map<string, CachedVerification>();
  readonly #changes: ChangeProbe | undefined;
  /** Bumped when the node's processes committed something: answers asked for before it are not kept. */
  #generation = 0;

  constructor(options: {
    signingKey: SigningKey;
    tenantId: string;
    lifetimeSeconds: number;
    /** Whether a host name is one this service answers to (covered by its TLS certificate). */
    isOwnHost: (hostname: string) => boolean;
    /**
     * Whether a principal still exists (and may use its tokens). Asked when a token is first verified and at
     * most every PRINCIPAL_RECHECK_SECONDS after; `false` makes its tokens 'invalid'.
     */
    isActivePrincipal: (principalId: string, generation: number) => Promise<boolean>;
    /** The node's change beacon: after any commit of its processes, every cached token is checked again. */
    changes?: ChangeProbe | undefined;
  }) {
    if (typeof options.isActivePrincipal !== 'function') {
      throw new TypeError('TokenService needs isActivePrincipal, so that deleting a principal revokes its tokens');
    }
    this.#signingKey = options.signingKey;
    this.#tenantId = options.tenantId;
    this.#lifetimeSeconds = options.lifetimeSeconds;
    this.#isOwnHost = options.isOwnHost;
    this.#isActivePrincipal = options.isActivePrincipal;
    this.#changes = options.changes;
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

  /** `generation`: the principal's credential generation; a later secret reset makes the token invalid. */
  async issue(principalId: string, audience: string, issuerOrigin: string, generation = 1): Promise<string> {
    const jws = await new SignJWT({ tid: this.#tenantId, oid: principalId, appid: principalId, azp: principalId, idtyp: 'app', ver: '2.0', gen: generation })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.#signingKey.kid })
      .setIssuer(this.issuerFor(issuerOrigin))
      .setSubject(principalId)
      .setAudience(audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${this.#lifetimeSeconds}s`)
      .setJti(randomUUID())
      .sign(this.#signingKey.privateKey);
    return toLowS(jws);
  }

  /** Verifies a bearer token for a request whose resource is `audience`. */
  async verify(token: string, audience: string, nowSeconds = Date.now() / 1000): Promise<Principal | TokenRejection> {
    if (this.#changes?.changedSinceLastCall() === true) this.#generation += 1;
    let verified = this.#verified.get(token);
    if (verified === undefined) {
      const fresh = await this.#verifySignedToken(token, nowSeconds);
      if (typeof fresh === 'string') return fresh;
      const generation = this.#generation;
      if (!(await this.#isActivePrincipal(fresh.principal.id, fresh.generation))) return 'invalid';
      verified = { ...fresh, principalCheckedAt: nowSeconds, checkedGeneration: generation, recheck: undefined };
      this.#remember(token, verified);
    }
    if (verified.expiresAt + CLOCK_TOLERANCE_SECONDS <= nowSeconds) {
      this.#verified.delete(token);
      return 'expired';
    }
    const stale = nowSeconds - verified.principalCheckedAt >= PRINCIPAL_RECHECK_SECONDS || verified.checkedGeneration !== this.#generation;
    if (stale && !(await this.#recheck(verified, nowSeconds))) {
      this.#verified.delete(token);
      return 'invalid';
    }
    return verified.audience === audience.toLowerCase() ? verified.principal : 'wrong-audience';
  }

  /** One re-check per stale entry at a time: concurrent requests with the same token share its answer. */
  #recheck(entry: CachedVerification, nowSeconds: number): Promise<boolean> {
    const generation = this.#generation;
    entry.recheck ??= this.#isActivePrincipal(entry.principal.id, entry.generation)
      .then((active) => {
        if (active) {
          entry.principalCheckedAt = Math.max(entry.principalCheckedAt, nowSeconds);
          entry.checkedGeneration = generation;
        }
        return active;
      })
      .finally(() => {
        entry.recheck = undefined;
      });
    return entry.recheck;
  }

  async #verifySignedToken(token: string, nowSeconds: number): Promise<VerifiedToken | TokenRejection> {
    if (!hasLowS(token)) return 'invalid';
    try {
      const { payload } = await jwtVerify(token, this.#signingKey.publicKey, {
        algorithms: ['ES256'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(nowSeconds * 1000),
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'tid'],
      });
      const audience = typeof payload.aud === 'string' ? payload.aud : undefined;
      const { exp, iat } = payload;
      if (audience === undefined || payload.sub === undefined || exp === undefined || iat === undefined) return 'invalid';
      if (payload['tid'] !== this.#tenantId || !this.#isOurIssuer(payload.iss)) return 'invalid';
      if (iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) return 'invalid';
      if (exp - iat > this.#lifetimeSeconds + CLOCK_TOLERANCE_SECONDS) return 'invalid';
      const generation = payload['gen'] ?? 1;
      if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) return 'invalid';
      return {
        principal: { id: payload.sub, tenantId: this.#tenantId },
        audience: audience.toLowerCase(),
        expiresAt: exp,
        generation,
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

  /** Forgets every cached verification of a principal's tokens (it was deleted, or its secret was reset here). */
  forgetPrincipal(principalId: string): void {
    for (const [token, verified] of this.#verified) if (verified.principal.id === principalId) this.#verified.delete(token);
  }

  #remember(token: string, verified: CachedVerification): void {
    if (this.#verified.size >= CACHE_CAPACITY) {
      const oldest = this.#verified.keys().next();
      if (oldest.done !== true) this.#verified.delete(oldest.value);
    }
    this.#verified.set(token, verified);
  }
}
