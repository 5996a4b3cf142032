/**
 * The OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for service principals, shaped as Microsoft Entra
 * answers it so that MSAL (inside `@azure/identity`'s ClientSecretCredential) accepts it unchanged.
 */
import type { PrincipalRepository } from '../../storage/store.ts';
import { hashClientSecret, verifyClientSecret } from './client-secrets.ts';
import type { TokenService } from './token-service.ts';

export class OAuthError extends Error {
  readonly status: 400 | 401;
  readonly error: string;
  /** Entra's numeric error code (AADSTS...), which some clients log. */
  readonly aadCode: number;

  constructor(status: 400 | 401, error: string, aadCode: number, description: string) {
    super(`AADSTS${aadCode}: ${description}`);
    this.name = 'OAuthError';
    this.status = status;
    this.error = error;
    this.aadCode = aadCode;
  }
}

export interface ClientCredentialsRequest {
  tenant: string;
  grantType: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  scope: string | undefined;
  /** `https://host[:port]` the client called; names the token issuer. */
  origin: string;
}

export interface TokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
}

/** OpenID scopes MSAL may add to any request; they do not name a resource. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

export async function grantClientCredentials(
  deps: { principals: PrincipalRepository; tokens: TokenService },
  request: ClientCredentialsRequest,
): Promise<TokenResponse> {
  assertKnownTenant(deps.tokens, request.tenant);
  if (request.grantType !== 'client_credentials') {
    throw new OAuthError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type; only client_credentials is supported.');
  }
  const audience = audienceOf(request.scope);
  const principal = request.clientId === undefined ? undefined : await deps.principals.getPrincipal(request.clientId);
  // An unknown client costs the same hash as a known one, so timing does not tell which client ids exist.
  const secretMatches = await verifyClientSecret(request.clientSecret ?? '', principal?.secretHash ?? (await decoyHash()));
  if (principal === undefined || request.clientSecret === undefined || !secretMatches) {
    throw new OAuthError(401, 'invalid_client', 7000215, 'Invalid client credentials: unknown client or wrong secret.');
  }
  const accessToken = await deps.tokens.issue(principal.id, audience, request.origin);
  const lifetime = deps.tokens.lifetimeSeconds;
  return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
}

let decoy: Promise<string> | undefined;
function decoyHash(): Promise<string> {
  decoy ??= hashClientSecret('strongroom decoy secret');
  return decoy;
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
