/**
 * Challenge-based bearer authentication, as Key Vault does it.
 *
 * A data-plane request without a bearer token is answered 401 with the `WWW-Authenticate` challenge before its
 * body is read (the SDKs send their first request without token and body, and need exactly this answer). A
 * request with a token is let through only if the token verifies for the resource its host names: one of ours,
 * or one of a trusted external issuer (`--trust-issuer`, domain/identity/external-issuers.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ExternalIssuers } from '../../domain/identity/external-issuers.ts';
import type { TokenRejection, TokenService } from '../../domain/identity/token-service.ts';
import { badParameter, unauthorized } from '../../errors/errors.ts';
import { isValidHostHeader, originOf, resourceFor } from '../host.ts';

const REJECTION_MESSAGES: Record<TokenRejection, string> = {
  invalid: 'The access token is invalid.',
  expired: 'The access token has expired.',
  'wrong-audience': 'The access token was issued for another resource (audience).',
};

export function installAuthentication(app: FastifyInstance, tokens: TokenService, external?: ExternalIssuers): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const { config } = request.routeOptions;
    if (config.identity === true || config.health === true) return;
    const host = request.host;
    if (!isValidHostHeader(host)) throw badParameter('The Host header is missing or invalid.');
    const resource = resourceFor(host);
    // The challenge is only built for the requests that get it, not on the path of every authorized one.
    const challenge = () => `Bearer authorization="${originOf(host)}/${tokens.tenantId}", resource="${resource}"`;
    const token = bearerTokenOf(request.headers.authorization);
    if (token === undefined) {
      throw unauthorized('AKV10000: Request is missing a Bearer, PoP, or MTLS_POP token.', { 'www-authenticate': challenge() });
    }
    const outcome = external?.claims(token) === true ? await external.verify(token, resource) : await tokens.verify(token, resource);
    if (typeof outcome === 'string') {
      const inner = outcome === 'expired' ? 'TokenExpired' : 'InvalidToken';
      throw unauthorized(REJECTION_MESSAGES[outcome], { 'www-authenticate': `${challenge()}, error="invalid_token"` }, inner);
    }
    request.principal = outcome;
  });
}

function bearerTokenOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  return match?.[1];
}
