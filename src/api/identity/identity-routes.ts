/**
 * The identity endpoints a `ClientSecretCredential` (MSAL) talks to, with the server's URL as its
 * `authorityHost` and instance discovery disabled:
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration   OpenID Provider metadata
 *   GET  /{tenant}/discovery/v2.0/keys                     the JWKS our tokens verify with
 *   POST /{tenant}/oauth2/v2.0/token                       client-credentials grant
 * They need no bearer token and no api-version. Errors use the OAuth 2.0 error body, not the Key Vault one;
 * throttled answers (429, 503) carry `Retry-After` in whole seconds.
 *
 * Failed logins are throttled per client id and per peer address (`request.ip`: the TCP peer, since the
 * service terminates TLS itself and trusts no forwarding header). The throttle lives as long as the app.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  assertKnownTenant,
  grantClientCredentials,
  OAuthError,
  prepareClientCredentialsGrant,
  type ClientDirectory,
} from '../../domain/identity/client-credentials-grant.ts';
import { LoginThrottle } from '../../domain/identity/login-throttle.ts';
import type { TokenService } from '../../domain/identity/token-service.ts';
import { isValidHostHeader, originOf } from '../../http/host.ts';

type TenantParams = { Params: { tenant: string } };
type TokenForm = Record<string, string | undefined>;

export function registerIdentityRoutes(
  app: FastifyInstance,
  deps: { principals: ClientDirectory; tokens: TokenService; throttle?: LoginThrottle },
): void {
  const grantDeps = { principals: deps.principals, tokens: deps.tokens, throttle: deps.throttle ?? new LoginThrottle() };
  void app.register(async (scope) => {
    // The hashing thread and the decoy hash are ready before the server listens (see client-credentials-grant.ts).
    scope.addHook('onReady', prepareClientCredentialsGrant);
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    scope.setErrorHandler((error, request, reply) => sendOAuthError(request, reply, error));
    const config = { identity: true };

    scope.get<TenantParams>('/:tenant/v2.0/.well-known/openid-configuration', { config }, async (request) => {
      assertKnownTenant(deps.tokens, request.params.tenant);
      const base = `${origin(request)}/${deps.tokens.tenantId}`;
      return {
        issuer: deps.tokens.issuerFor(origin(request)),
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ['token'],
        grant_types_supported: ['client_credentials'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['ES256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'],
        tenant_region_scope: null,
        cloud_instance_name: 'strongroom',
      };
    });

    scope.get<TenantParams>('/:tenant/discovery/v2.0/keys', { config }, async (request) => {
      assertKnownTenant(deps.tokens, request.params.tenant);
      return deps.tokens.jwks;
    });

    scope.post<TenantParams & { Body: TokenForm | undefined }>('/:tenant/oauth2/v2.0/token', { config }, async (request) => {
      if (typeof request.body !== 'object' || request.body === null) {
        throw new OAuthError(400, 'invalid_request', 900144, "The request body must be form-encoded and include 'grant_type'.");
      }
      const form = request.body;
      const basic = basicCredentialsOf(request.headers.authorization);
      return grantClientCredentials(grantDeps, {
        tenant: request.params.tenant,
        grantType: form['grant_type'],
        clientId: basic?.clientId ?? form['client_id'],
        clientSecret: basic?.clientSecret ?? form['client_secret'],
        clientAssertionType: form['client_assertion_type'],
        clientAssertion: form['client_assertion'],
        scope: form['scope'],
        origin: origin(request),
        sourceAddress: request.ip,
      });
    });
  });
}

function origin(request: FastifyRequest): string {
  if (!isValidHostHeader(request.host)) throw new OAuthError(400, 'invalid_request', 90014, 'The Host header is missing or invalid.');
  return originOf(request.host);
}

/** RFC 6749 §2.3.1: client_id and client_secret may come as HTTP Basic credentials (form-urlencoded). */
function basicCredentialsOf(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = header === undefined ? null : /^Basic +([A-Za-z0-9+/]+=*)$/i.exec(header);
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return {
    clientId: decodeURIComponent(decoded.slice(0, colon)),
    clientSecret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

function sendOAuthError(request: FastifyRequest, reply: FastifyReply, error: unknown): void {
  const oauth = error instanceof OAuthError
    ? error
    : new OAuthError(400, 'invalid_request', 900144, 'The request is malformed.');
  if (!(error instanceof OAuthError)) request.log.warn({ requestId: request.id, code: (error as { code?: unknown }).code }, 'token request rejected');
  if (oauth.retryAfterSeconds !== undefined) void reply.header('retry-after', String(oauth.retryAfterSeconds));
  void reply.code(oauth.status).send({
    error: oauth.error,
    error_description: oauth.message,
    error_codes: [oauth.aadCode],
    timestamp: new Date().toISOString(),
    trace_id: request.id,
    correlation_id: randomUUID(),
  });
}
