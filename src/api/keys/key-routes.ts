/**
 * The /keys and /deletedkeys endpoints of the key lifecycle. Each route: path, schemas, the data action it
 * needs, and a one-line handler that maps the request to a `KeyService` call and the record to a wire model.
 *
 * Routing notes: the router ignores case, duplicate slashes and trailing slashes, so `GET /keys/{name}/` (the
 * SDKs' "latest version") lands on `GET /keys/:name`; literal segments (`versions`, `create`) win over `:version`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CreateKeyRequest, ImportKeyRequest, KeyService, UpdateKeyRequest } from '../../domain/keys/key-service.ts';
import { DataActions } from '../../domain/rbac/data-actions.ts';
import { originOf } from '../../http/host.ts';
import { pagedAnswer } from '../paging.ts';
import { toDeletedKeyBundle, toDeletedKeyItem, toKeyBundle, toKeyItem, type Presentation } from './key-bundles.ts';
import {
  createKeyBodySchema,
  deletedKeyBundleSchema,
  deletedKeyListSchema,
  importKeyBodySchema,
  keyBundleSchema,
  keyListSchema,
  updateKeyBodySchema,
} from './key-schemas.ts';

type NameParams = { Params: { name: string } };
type VersionParams = { Params: { name: string; version: string } };

export function registerKeyRoutes(app: FastifyInstance, keys: KeyService): void {
  const view = (request: FastifyRequest): Presentation => ({ origin: originOf(request.host), retentionDays: keys.retentionDays });
  const bundle = { 200: keyBundleSchema };
  const deletedBundle = { 200: deletedKeyBundleSchema };

  app.post<NameParams & { Body: CreateKeyRequest }>('/keys/:name/create', {
    schema: { body: createKeyBodySchema, response: bundle },
    config: { dataAction: DataActions.createKey },
  }, async (request) => toKeyBundle(await keys.createKey(request.params.name, request.body), view(request)));

  app.put<NameParams & { Body: ImportKeyRequest }>('/keys/:name', {
    schema: { body: importKeyBodySchema, response: bundle },
    config: { dataAction: DataActions.importKey },
  }, async (request) => toKeyBundle(await keys.importKey(request.params.name, request.body), view(request)));

  app.get<NameParams>('/keys/:name', {
    schema: { response: bundle },
    config: { dataAction: DataActions.readKey },
  }, async (request) => toKeyBundle(await keys.getKey(request.params.name), view(request)));

  app.get<VersionParams>('/keys/:name/:version', {
    schema: { response: bundle },
    config: { dataAction: DataActions.readKey },
  }, async (request) => toKeyBundle(await keys.getKey(request.params.name, request.params.version), view(request)));

  app.patch<NameParams & { Body: UpdateKeyRequest }>('/keys/:name', {
    schema: { body: updateKeyBodySchema, response: bundle },
    config: { dataAction: DataActions.writeKey },
  }, async (request) => toKeyBundle(await keys.updateKey(request.params.name, undefined, request.body ?? {}), view(request)));

  app.patch<VersionParams & { Body: UpdateKeyRequest }>('/keys/:name/:version', {
    schema: { body: updateKeyBodySchema, response: bundle },
    config: { dataAction: DataActions.writeKey },
  }, async (request) =>
    toKeyBundle(await keys.updateKey(request.params.name, request.params.version, request.body ?? {}), view(request)));

  app.get('/keys', {
    schema: { response: { 200: keyListSchema } },
    config: { dataAction: DataActions.readKey },
  }, async (request) => {
    const presentation = view(request);
    return pagedAnswer(request, (paging) => keys.listKeys(paging), (item) => toKeyItem(item, presentation, false));
  });

  app.get<NameParams>('/keys/:name/versions', {
    schema: { response: { 200: keyListSchema } },
    config: { dataAction: DataActions.readKey },
  }, async (request) => {
    const presentation = view(request);
    return pagedAnswer(request, (paging) => keys.listKeyVersions(request.params.name, paging), (item) => toKeyItem(item, presentation, true));
  });

  app.delete<NameParams>('/keys/:name', {
    schema: { response: deletedBundle },
    config: { dataAction: DataActions.deleteKey },
  }, async (request) => toDeletedKeyBundle(await keys.deleteKey(request.params.name), view(request)));

  app.get('/deletedkeys', {
    schema: { response: { 200: deletedKeyListSchema } },
    config: { dataAction: DataActions.readDeletedKey },
  }, async (request) => {
    const presentation = view(request);
    return pagedAnswer(request, (paging) => keys.listDeletedKeys(paging), (item) => toDeletedKeyItem(item, presentation));
  });

  app.get<NameParams>('/deletedkeys/:name', {
    schema: { response: deletedBundle },
    config: { dataAction: DataActions.readDeletedKey },
  }, async (request) => toDeletedKeyBundle(await keys.getDeletedKey(request.params.name), view(request)));

  app.post<NameParams>('/deletedkeys/:name/recover', {
    schema: { response: bundle },
    config: { dataAction: DataActions.recoverDeletedKey },
  }, async (request) => toKeyBundle(await keys.recoverDeletedKey(request.params.name), view(request)));

  app.delete<NameParams>('/deletedkeys/:name', {
    config: { dataAction: DataActions.purgeDeletedKey },
  }, async (request, reply) => {
    await keys.purgeDeletedKey(request.params.name);
    return reply.code(204).send();
  });
}
