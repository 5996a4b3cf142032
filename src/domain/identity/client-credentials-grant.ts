/**
 * The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for service principals, shaped as Microsoft Entra
 * answers it so that MSAL (inside `@azure/identity`'s ClientSecretCredential) accepts it unchanged.
 *
 * Checking a secret costs a scrypt, so it is the last step, and guarded (issue 7): failed attempts are throttled
 * per client id and source address (login-throttle.ts, 429 without hashing) and the hashing itself is bounded
 * (client-secrets.ts, 503 without hashing when its queue is full).
 */
import { decodeJwt } from 'jose';
import { CLIENT_ASSERTION_TYPE, ClientAssertions } from './client-assertion.ts';
import { hashClientSecret, startSecretHashing, verifyClientSecret } from './client-secrets.ts';
import type { LoginAttempt, LoginThrottle } from './login-throttle.ts';
import { SecretHashingBusy } from './scrypt-pool.ts';
import type { TokenService } from './token-service.ts';

export type OAuthStatus = 400 | 401 | 429 | 503;

export class OAuthError extends Error {
  readonly status: OAuthStatus;
  readonly error: string;
  /** Entra's numeric error code (AADSTS...), which some clients log. */
  readonly aadCode: number;
  /** Whole seconds for a `Retry-After` header (429 and 503 answers). */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: OAuthStatus, error: string, aadCode: number, description: string, retryAfterSeconds?: number) {
    super(`AADSTS${aadCode}: ${description}`);
    this.name = 'OAuthError';
    this.status = status;
    this.error = error;
    this.aadCode = aadCode;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Throttling answers. For client credentials Entra answers 429 with `Retry-After` (MSAL then waits that long
 * before it asks again); its body for that case is not documented, so we use the standard OAuth code
 * `temporarily_unavailable` with AADSTS90055 (Entra's "TenantThrottlingError: too many incoming requests").
 * Both are our best match, not a verified copy of what Entra sends.
 */
const THROTTLED_AAD_CODE = 90055;

function throttled(retryAfterSeconds: number): OAuthError {
  return new OAuthError(429, 'temporarily_unavailable', THROTTLED_AAD_CODE,
    'Too many failed sign-in attempts for this client or from this address. Retry after the time in Retry-After.', retryAfterSeconds);
}

function busy(retryAfterSeconds: number): OAuthError {
  return new OAuthError(503, 'temporarily_unavailable', THROTTLED_AAD_CODE,
    'The server is temporarily too busy to check client credentials. Retry after the time in Retry-After.', retryAfterSeconds);
}

function invalidClient(): OAuthError {
  return new OAuthError(401, 'invalid_client', 7000215, 'Invalid client credentials: unknown client or wrong secret.');
}

/** What the grant needs of a stored principal: its id and its secret's hash. */
export interface ClientRecord {
  readonly id: string;
  readonly secretHash: string;
  /** A certificate principal's certificate: it authenticates with a client assertion, never a secret. */
  readonly certificatePem?: string | undefined;
  /** The credential generation the issued token carries (a secret reset makes older tokens invalid). */
  readonly generation?: number | undefined;
}

/** The one storage read the grant makes (the principal repository satisfies it). */
export interface ClientDirectory {
  getPrincipal(id: string): Promise<ClientRecord | undefined>;
}

export interface ClientCredentialsDeps {
  principals: ClientDirectory;
  tokens: TokenService;
  throttle: LoginThrottle;
  /** Checks a secret against a stored hash; `verifyClientSecret` unless a test counts the hashes. */
  verifySecret?: (secret: string, stored: string) => Promise<boolean>;
  /** Client assertions seen (replay protection); one per process. */
  assertions?: ClientAssertions | undefined;
}

export interface ClientCredentialsRequest {
  tenant: string;
  grantType: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** RFC 7523 client authentication: `client_assertion_type` and `client_assertion`. */
  clientAssertionType?: string | undefined;
  clientAssertion?: string | undefined;
  scope: string | undefined;
  /** `https://host[:port]` the client called; names the token issuer. */
  origin: string;
  /** The peer address the request came from, for the failure throttle. */
  sourceAddress: string;
}

export interface TokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
}

/** OpenID scopes MSAL may add to any request; they do not name a resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

export async function grantClientCredentials(deps: ClientCredentialsDeps, request: ClientCredentialsRequest): Promise<TokenResponse> {
  assertKnownTenant(deps.tokens, request.tenant);
  if (request.grantType !== 'client_credentials') {
    throw new OAuthError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type; only client_credentials is supported.');
  }
  const audience = audienceOf(request.scope);
  if (request.clientAssertionType !== undefined || request.clientAssertion !== undefined) {
    return grantWithAssertion(deps, request, audience);
  }
  // Without an id or a secret there is nothing to check (and nothing to learn from timing): no hash is spent.
  if (request.clientId === undefined || request.clientSecret === undefined) throw invalidClient();
  const principal = await authenticateClient(deps, { clientId: request.clientId, sourceAddress: request.sourceAddress }, request.clientSecret);
  const accessToken = await deps.tokens.issue(principal.id, audience, request.origin, principal.generation ?? 1);
  const lifetime = deps.tokens.lifetimeSeconds;
  return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
}

/** A certificate principal's grant: its signed client assertion for this tenant's token endpoint. */
async function grantWithAssertion(deps: ClientCredentialsDeps, request: ClientCredentialsRequest, audience: string): Promise<TokenResponse> {
  if (request.clientAssertionType !== CLIENT_ASSERTION_TYPE || request.clientAssertion === undefined) {
    throw new OAuthError(400, 'invalid_request', 50027, `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}, with a client_assertion.`);
  }
  const clientId = request.clientId ?? issuerOf(request.clientAssertion);
  if (clientId === undefined) throw invalidClient();
  const attempt = { clientId, sourceAddress: request.sourceAddress };
  const admission = deps.throttle.admit(attempt);
  if (!admission.admitted) throw throttled(admission.retryAfterSeconds);
  const principal = await deps.principals.getPrincipal(clientId);
  const endpoint = `${request.origin}/${deps.tokens.tenantId}/oauth2/v2.0/token`;
  const verified = principal?.certificatePem === undefined
    ? 'invalid'
    : await (deps.assertions ?? processAssertions).verify(request.clientAssertion, { clientId, certificatePem: principal.certificatePem, audiences: [endpoint] });
  if (principal === undefined || verified !== true) throw invalidClient();
  deps.throttle.release(attempt);
  const accessToken = await deps.tokens.issue(principal.id, audience, request.origin, principal.generation ?? 1);
  const lifetime = deps.tokens.lifetimeSeconds;
  return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
}

const processAssertions = new ClientAssertions();

function issuerOf(assertion: string): string | undefined {
  try {
    const issuer = decodeJwt(assertion).iss;
    return typeof issuer === 'string' && issuer !== '' ? issuer : undefined;
  } catch {
    return undefined;
  }
}

/** Throttle first, hash last; a failure keeps the throttle's reservation, anything else gives it back. */
async function authenticateClient(deps: ClientCredentialsDeps, attempt: LoginAttempt, secret: string): Promise<ClientRecord> {
  const admission = deps.throttle.admit(attempt);
  if (!admission.admitted) throw throttled(admission.retryAfterSeconds);
  let principal: ClientRecord | undefined;
  let matches: boolean;
  try {
    principal = await deps.principals.getPrincipal(attempt.clientId);
    // An unknown client (or one without a secret: a certificate principal) costs the same hash as a known one,
    // so timing does not tell which client ids exist or what kind they are.
    const stored = principal === undefined || principal.certificatePem !== undefined ? await decoyHash() : principal.secretHash;
    matches = (await (deps.verifySecret ?? verifyClientSecret)(secret, stored)) && principal?.certificatePem === undefined;
  } catch (error) {
    deps.throttle.release(attempt);
    throw error instanceof SecretHashingBusy ? busy(error.retryAfterSeconds) : error;
  }
  if (principal === undefined || !matches) throw invalidClient();
  deps.throttle.release(attempt);
  return principal;
}

/**
 * Unknown client ids are checked against this hash. It is computed ahead (prepareClientCredentialsGrant), so the
 * first unknown id a process sees does not cost two hashes — a one-shot oracle for which ids exist.
 */
let decoy: Promise<string> | undefined;
function decoyHash(): Promise<string> {
  decoy ??= hashClientSecret('strongroom decoy secret').catch((error: unknown) => {
    decoy = undefined;
    throw error;
  });
  return decoy;
}

/**
 * Starts the hashing thread and computes the decoy hash. Call it at start (the identity routes await it in
 * `onReady`); it is idempotent and also runs lazily on the first unknown client.
 */
export async function prepareClientCredentialsGrant(): Promise<void> {
  startSecretHashing();
  await decoyHash();
}

export function assertKnownTenant(tokens: TokenService, tenant: string): void {
  if (tenant.toLowerCase() !== tokens.tenantId) {
    throw new OAuthError(400, 'invalid_request', 90002, 'Tenant not found. Use the tenantId from admin-credentials.json.');
  }
}

/** `https://vault.localhost/.default` → audience `https://vault.localhost`. */
function audienceOf(scope: string | undefined): string {
  const scopes = (scope ?? '').split(' ').filter((s) => s !== '' && !OIDC_SCOPES.has(s));
  const resource = scopes.length === 1 && scopes[0]?.endsWith('/.default') ? scopes[0].slice(0, -'/.default'.length) : undefined;
  let url: URL | undefined;
  try {
    url = resource === undefined ? undefined : new URL(resource);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
    throw new OAuthError(400, 'invalid_scope', 70011, "The scope must be one resource followed by '/.default', e.g. https://vault.localhost/.default.");
  }
  return `https://${url.host}`.toLowerCase();
}
