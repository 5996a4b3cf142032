/**
 * The /secrets and /deletedsecrets endpoints (reference §4). Each route: the operation it performs, its path and
 * schemas, how the request becomes the operation's input, and how the output becomes a wire model.
 *
 * Routing as for keys: the router ignores case, duplicate and trailing slashes, so `GET /secrets/{name}/` (the
 * SDK's "latest version") lands on `GET /secrets/:name`; literal segments (`versions`, `backup`) win over
 * `:version`. `outContentType` (2026-04-01) converts certificate-backed secrets only; there are none here, so
 * it is accepted and changes nothing.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SecretPropertiesRequest } from '../../domain/secrets/secret-attributes.ts';
import type { SetSecretRequest } from '../../domain/secrets/secret-lifecycle.ts';
import { originOf } from '../../http/host.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';
import { pageAnswer, pageRequestOf } from '../paging.ts';
import { toDeletedSecretBundle, toDeletedSecretItem, toSecretBundle, toSecretItem, type Presentation } from './secret-bundles.ts';
import {
  deletedSecretBundleSchema,
  deletedSecretListSchema,
  restoreSecretBodySchema,
  secretBundleSchema,
  secretListSchema,
  setSecretBodySchema,
  updateSecretBodySchema,
} from './secret-schemas.ts';

type NameParams = { Params: { name: string } };
type VersionParams = { Params: { name: string; version?: string } };

export function registerSecretRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const retentionDays = deps.kernel.env.retentionDays;
  const view = (request: FastifyRequest): Presentation => ({ origin: originOf(request.host), retentionDays });
  const bundle = { 200: secretBundleSchema };
  const deletedBundle = { 200: deletedSecretBundleSchema };

  operationRoute<'setSecret', NameParams & { Body: SetSecretRequest }>(app, deps, {
    method: 'PUT', paths: ['/secrets/:name'], operation: 'setSecret',
    schema: { body: setSecretBodySchema, response: bundle },
    input: (request) => ({ name: request.params.name, request: request.body }),
    answer: ({ record, value }, request) => toSecretBundle(record, view(request), value),
  });

  operationRoute<'backupSecret', NameParams>(app, deps, {
    method: 'POST', paths: ['/secrets/:name/backup'], operation: 'backupSecret',
    input: (request) => ({ name: request.params.name }),
    answer: (value) => ({ value }),
  });

  operationRoute<'restoreSecret', { Body: { value: string } }>(app, deps, {
    method: 'POST', paths: ['/secrets/restore'], operation: 'restoreSecret',
    schema: { body: restoreSecretBodySchema, response: bundle },
    input: (request) => ({ value: request.body.value }),
    answer: (record, request) => toSecretBundle(record, view(request)),
  });

  operationRoute<'getSecret', VersionParams>(app, deps, {
    method: 'GET', paths: ['/secrets/:name', '/secrets/:name/:version'], operation: 'getSecret',
    schema: { response: bundle },
    input: (request) => ({ name: request.params.name, version: request.params.version }),
    answer: ({ record, value }, request) => toSecretBundle(record, view(request), value),
  });

  operationRoute<'updateSecret', VersionParams & { Body: SecretPropertiesRequest | undefined }>(app, deps, {
    method: 'PATCH', paths: ['/secrets/:name', '/secrets/:name/:version'], operation: 'updateSecret',
    schema: { body: updateSecretBodySchema, response: bundle },
    input: (request) => ({ name: request.params.name, version: request.params.version, request: request.body ?? {} }),
    answer: (record, request) => toSecretBundle(record, view(request)),
  });

  operationRoute(app, deps, {
    method: 'GET', paths: ['/secrets'], operation: 'getSecrets',
    schema: { response: { 200: secretListSchema } },
    input: (request) => ({ page: pageRequestOf(request) }),
    answer: (page, request) => pageAnswer(request, page, (item) => toSecretItem(item, view(request), false)),
  });

  operationRoute<'getSecretVersions', NameParams>(app, deps, {
    method: 'GET', paths: ['/secrets/:name/versions'], operation: 'getSecretVersions',
    schema: { response: { 200: secretListSchema } },
    input: (request) => ({ name: request.params.name, page: pageRequestOf(request, 'sequence') }),
    answer: (page, request) => pageAnswer(request, page, (item) => toSecretItem(item, view(request), true)),
  });

  operationRoute<'deleteSecret', NameParams>(app, deps, {
    method: 'DELETE', paths: ['/secrets/:name'], operation: 'deleteSecret',
    schema: { response: deletedBundle },
    input: (request) => ({ name: request.params.name }),
    answer: (deleted, request) => toDeletedSecretBundle(deleted, view(request)),
  });

  operationRoute(app, deps, {
    method: 'GET', paths: ['/deletedsecrets'], operation: 'getDeletedSecrets',
    schema: { response: { 200: deletedSecretListSchema } },
    input: (request) => ({ page: pageRequestOf(request) }),
    answer: (page, request) => pageAnswer(request, page, (item) => toDeletedSecretItem(item, view(request))),
  });

  operationRoute<'getDeletedSecret', NameParams>(app, deps, {
    method: 'GET', paths: ['/deletedsecrets/:name'], operation: 'getDeletedSecret',
    schema: { response: deletedBundle },
    input: (request) => ({ name: request.params.name }),
    answer: (deleted, request) => toDeletedSecretBundle(deleted, view(request)),
  });

  operationRoute<'recoverDeletedSecret', NameParams>(app, deps, {
    method: 'POST', paths: ['/deletedsecrets/:name/recover'], operation: 'recoverDeletedSecret',
    schema: { response: bundle },
    input: (request) => ({ name: request.params.name }),
    answer: (record, request) => toSecretBundle(record, view(request)),
  });

  operationRoute<'purgeDeletedSecret', NameParams>(app, deps, {
    method: 'DELETE', paths: ['/deletedsecrets/:name'], operation: 'purgeDeletedSecret',
    input: (request) => ({ name: request.params.name }),
    answer: (_none, _request, reply) => reply.code(204).send(),
  });
}
