/**
 * Service principals (Strongroom's own shape, in Key Vault's style): `POST /principals` (201, the credentials
 * once), `GET /principals`, `GET|DELETE /principals/{id}`, `POST /principals/{id}/resetsecret`. The credentials
 * answer is the `admin-credentials.json` format, so a client saves it as is; with `"managedIdentity": true` it
 * also carries the managed identity's `identityEndpoint` and `identityHeader`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { certificateThumbprints } from '../../domain/identity/client-assertion.ts';
import type { Principal } from '../../domain/principals/principal-model.ts';
import type { PrincipalWithSecret } from '../../domain/principals/principal-operations.ts';
import { originOf } from '../../http/host.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';

type IdParams = { Params: { id: string } };

const toPrincipal = (principal: Principal) => ({ id: principal.id, displayName: principal.displayName, created: principal.created });

export function registerPrincipalRoutes(app: FastifyInstance, deps: RouteDeps & { tenantId: string }): void {
  const withCredentials = ({ principal, clientSecret, identityHeader }: PrincipalWithSecret, request: FastifyRequest) => ({
    ...toPrincipal(principal),
    credentials: {
      tenantId: deps.tenantId,
      clientId: principal.id,
      ...(clientSecret === undefined ? {} : { clientSecret }),
      authorityHost: originOf(request.host),
    },
    ...(principal.certificatePem === undefined ? {} : { certificateThumbprint: certificateThumbprints(principal.certificatePem).x5tS256 }),
    // The two values an operator sets as IDENTITY_ENDPOINT and IDENTITY_HEADER for the application.
    ...(identityHeader === undefined ? {} : { managedIdentity: { identityEndpoint: `${originOf(request.host)}/msi/token`, identityHeader } }),
  });

  operationRoute<'createPrincipal', { Body: { displayName?: unknown; managedIdentity?: unknown; certificate?: unknown } | undefined }>(app, deps, {
    method: 'POST', paths: ['/principals'], operation: 'createPrincipal',
    input: (request) => ({ displayName: request.body?.displayName, managedIdentity: request.body?.managedIdentity === true, certificate: request.body?.certificate }),
    answer: (created, request, reply) => {
      reply.code(201);
      return withCredentials(created, request);
    },
  });
  operationRoute<'listPrincipals'>(app, deps, {
    method: 'GET', paths: ['/principals'], operation: 'listPrincipals',
    input: () => ({}),
    answer: (list) => ({ value: list.map(toPrincipal), nextLink: null }),
  });
  operationRoute<'getPrincipal', IdParams>(app, deps, {
    method: 'GET', paths: ['/principals/:id'], operation: 'getPrincipal',
    input: (request) => ({ id: request.params.id }),
    answer: toPrincipal,
  });
  operationRoute<'deletePrincipal', IdParams>(app, deps, {
    method: 'DELETE', paths: ['/principals/:id'], operation: 'deletePrincipal',
    input: (request) => ({ id: request.params.id }),
    answer: toPrincipal,
  });
  operationRoute<'resetPrincipalSecret', IdParams & { Body: { managedIdentity?: unknown } | undefined }>(app, deps, {
    method: 'POST', paths: ['/principals/:id/resetsecret'], operation: 'resetPrincipalSecret',
    input: (request) => ({ id: request.params.id, managedIdentity: request.body?.managedIdentity === true }),
    answer: (reset, request) => withCredentials(reset, request),
  });
}
