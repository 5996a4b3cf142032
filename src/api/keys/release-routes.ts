/**
 * POST /keys/{name}/{version}/release and POST /keys/{name}/release (secure key release, domain/keys/key-release.ts).
 * The SDK omits the version segment for the latest version; the router folds an empty one (`/keys/{name}//release`)
 * into the versionless path. The answer is `{ value }`, the JWS the instance signed.
 */
import type { FastifyInstance } from 'fastify';
import { originOf } from '../../http/host.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';
import { releaseKeyBodySchema, releaseKeyResultSchema } from './release-schemas.ts';

type ReleaseRequest = {
  Params: { name: string; version?: string };
  Body: { target: string; nonce?: string; enc?: string };
  Querystring: { 'api-version': string };
};

export function registerReleaseRoutes(app: FastifyInstance, deps: RouteDeps): void {
  operationRoute<'release', ReleaseRequest>(app, deps, {
    method: 'POST', paths: ['/keys/:name/release', '/keys/:name/:version/release'], operation: 'release',
    schema: { body: releaseKeyBodySchema, response: { 200: releaseKeyResultSchema } },
    input: (request) => ({
      name: request.params.name,
      version: request.params.version,
      target: request.body.target,
      nonce: request.body.nonce,
      enc: request.body.enc,
      origin: originOf(request.host),
      // The api-version check (http/plugins/api-version.ts) has run: it is one of the supported versions.
      apiVersion: request.query['api-version'],
    }),
    answer: (released) => ({ value: released.value }),
  });
}
