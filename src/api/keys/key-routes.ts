/**
 * The /keys and /deletedkeys endpoints of the key lifecycle. Each route: the operation it performs, its path and
 * schemas, how the request becomes the operation's input, and how the output becomes a wire model.
 *
 * Routing notes: the router ignores case, duplicate slashes and trailing slashes, so `GET /keys/{name}/` (the
 * SDKs' "latest version") lands on `GET /keys/:name`; literal segments (`versions`, `create`) win over `:version`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { registerUpdateRoutes } from './update-routes.ts';
import type { CreateKeyRequest, ImportKeyRequest } from '../../domain/keys/key-lifecycle.ts';
import { originOf } from '../../http/host.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';
import { pageAnswer, pageRequestOf } from '../paging.ts';
import { toDeletedKeyBundle, toDeletedKeyItem, toKeyBundle, toKeyItem, type Presentation } from './key-bundles.ts';
import {
  createKeyBodySchema,
  deletedKeyBundleSchema,
  deletedKeyListSchema,
  importKeyBodySchema,
  keyBundleSchema,
  keyListSchema,
} from './key-schemas.ts';

type NameParams = { Params: { name: string } };
type VersionParams = { Params: { name: string; version?: string } };

export function registerKeyRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const retentionDays = deps.kernel.env.retentionDays;
  const view = (request: FastifyRequest): Presentation => ({ origin: originOf(request.host), retentionDays });
  const bundle = { 200: keyBundleSchema };
  const deletedBundle = { 200: deletedKeyBundleSchema };

  operationRoute<'createKey', NameParams & { Body: CreateKeyRequest }>(app, deps, {
    method: 'POST', paths: ['/keys/:name/create'], operation: 'createKey',
    schema: { body: createKeyBodySchema, response: bundle },
    input: (request) => ({ name: request.params.name, request: request.body }),
    answer: (key, request) => toKeyBundle(key, view(request)),
  });

  operationRoute<'importKey', NameParams & { Body: ImportKeyRequest }>(app, deps, {
    method: 'PUT', paths: ['/keys/:name'], operation: 'importKey',
    schema: { body: importKeyBodySchema, response: bundle },
    input: (request) => ({ name: request.params.name, request: request.body }),
    answer: (key, request) => toKeyBundle(key, view(request)),
  });

  operationRoute<'backupKey', NameParams>(app, deps, {
    method: 'POST', paths: ['/keys/:name/backup'], operation: 'backupKey',
    input: (request) => ({ name: request.params.name }),
    answer: (value) => ({ value }),
  });

  operationRoute<'restoreKey', { Body: { value?: unknown } | undefined }>(app, deps, {
    method: 'POST', paths: ['/keys/restore'], operation: 'restoreKey',
    schema: { response: bundle },
    input: (request) => ({ value: request.body?.value }),
    answer: (key, request) => toKeyBundle(key, view(request)),
  });

  operationRoute<'getKey', VersionParams>(app, deps, {
    method: 'GET', paths: ['/keys/:name', '/keys/:name/:version'], operation: 'getKey',
    schema: { response: bundle },
    input: (request) => ({ name: request.params.name, version: request.params.version }),
    answer: (key, request) => toKeyBundle(key, view(request)),
  });

  registerUpdateRoutes(app, deps, view);

  operationRoute(app, deps, {
    method: 'GET', paths: ['/keys'], operation: 'getKeys',
    schema: { response: { 200: keyListSchema } },
    input: (request) => ({ page: pageRequestOf(request) }),
    answer: (page, request) => pageAnswer(request, page, (item) => toKeyItem(item, view(request), false)),
  });

  operationRoute<'getKeyVersions', NameParams>(app, deps, {
    method: 'GET', paths: ['/keys/:name/versions'], operation: 'getKeyVersions',
    schema: { response: { 200: keyListSchema } },
    input: (request) => ({ name: request.params.name, page: pageRequestOf(request, 'sequence') }),
    answer: (page, request) => pageAnswer(request, page, (item) => toKeyItem(item, view(request), true)),
  });

  operationRoute<'deleteKey', NameParams>(app, deps, {
    method: 'DELETE', paths: ['/keys/:name'], operation: 'deleteKey',
    schema: { response: deletedBundle },
    input: (request) => ({ name: request.params.name }),
    answer: (deleted, request) => toDeletedKeyBundle(deleted, view(request)),
  });

  operationRoute(app, deps, {
    method: 'GET', paths: ['/deletedkeys'], operation: 'getDeletedKeys',
    schema: { response: { 200: deletedKeyListSchema } },
    input: (request) => ({ page: pageRequestOf(request) }),
    answer: (page, request) => pageAnswer(request, page, (item) => toDeletedKeyItem(item, view(request))),
  });

  operationRoute<'getDeletedKey', NameParams>(app, deps, {
    method: 'GET', paths: ['/deletedkeys/:name'], operation: 'getDeletedKey',
    schema: { response: deletedBundle },
    input: (request) => ({ name: request.params.name }),
    answer: (deleted, request) => toDeletedKeyBundle(deleted, view(request)),
  });

  operationRoute<'recoverDeletedKey', NameParams>(app, deps, {
    method: 'POST', paths: ['/deletedkeys/:name/recover'], operation: 'recoverDeletedKey',
    schema: { response: bundle },
    input: (request) => ({ name: request.params.name }),
    answer: (key, request) => toKeyBundle(key, view(request)),
  });

  operationRoute<'purgeDeletedKey', NameParams>(app, deps, {
    method: 'DELETE', paths: ['/deletedkeys/:name'], operation: 'purgeDeletedKey',
    input: (request) => ({ name: request.params.name }),
    answer: (_none, _request, reply) => reply.code(204).send(),
  });
}
