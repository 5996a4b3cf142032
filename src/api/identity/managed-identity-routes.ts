/**
 * `GET /msi/token`: the App Service managed-identity endpoint (api-version 2019-08-01) on the service's own
 * origin, which `ManagedIdentityCredential` and `DefaultAzureCredential` call when `IDENTITY_ENDPOINT` and
 * `IDENTITY_HEADER` are set: `?resource=…&api-version=2019-08-01` with the header `X-IDENTITY-HEADER`. It answers
 * a Strongroom token for the principal the header names (domain/identity/managed-identity.ts), in App Service's
 * shape: `{access_token, expires_on, resource, token_type, client_id}` (`expires_on` in seconds, as a string).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseIdentityHeader } from '../../domain/identity/managed-identity.ts';
import type { TokenService } from '../../domain/identity/token-service.ts';
import { isValidHostHeader, originOf } from '../../http/host.ts';
import type { PrincipalReader } from '../../storage/store.ts';

const API_VERSIONS = new Set(['2019-08-01']);

export interface ManagedIdentityDeps {
  tokens: TokenService;
  principals: PrincipalReader;
  /** The MAC key identity headers are checked with (derived from the security domain). */
  macKey: () => Buffer;
}

export function registerManagedIdentityRoutes(app: FastifyInstance, deps: ManagedIdentityDeps): void {
  app.get<{ Querystring: { resource?: string; 'api-version'?: string } }>('/msi/token', { config: { identity: true } }, async (request, reply) => {
    const apiVersion = request.query['api-version'];
    if (apiVersion === undefined || !API_VERSIONS.has(apiVersion)) return refuse(reply, 400, 'invalid_request', 'api-version must be 2019-08-01');
    const resource = request.query.resource;
    if (resource === undefined || !/^https:\/\/\S{1,256}$/.test(resource)) return refuse(reply, 400, 'invalid_request', 'resource (an https URI) is required');
    if (!isValidHostHeader(request.host)) return refuse(reply, 400, 'invalid_request', 'The Host header is missing or invalid');
    const named = parseIdentityHeader(deps.macKey(), headerOf(request));
    const principal = named === undefined ? undefined : await deps.principals.getPrincipal(named.id);
    // A forged header, a principal that is gone, or a header of a generation a secret reset replaced.
    if (named === undefined || principal === undefined || principal.generation !== named.generation) {
      return refuse(reply, 401, 'invalid_client', 'The identity header is not valid');
    }
    const audience = resource.replace(/\/\.default$/, '').replace(/\/+$/, '');
    const accessToken = await deps.tokens.issue(principal.id, audience, originOf(request.host), principal.generation);
    return {
      access_token: accessToken,
      expires_on: String(Math.floor(Date.now() / 1000) + deps.tokens.lifetimeSeconds),
      resource,
      token_type: 'Bearer',
      client_id: principal.id,
    };
  });
}

function headerOf(request: FastifyRequest): string | undefined {
  const value = request.headers['x-identity-header'];
  return typeof value === 'string' ? value : undefined;
}

function refuse(reply: FastifyReply, status: 400 | 401, error: string, description: string) {
  return reply.code(status).send({ error, error_description: description });
}
