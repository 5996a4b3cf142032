/**
 * POST /keys/{name}/{version}/export and POST /keys/{name}/export (domain/keys/key-export.ts): the key bundle
 * with `key.key_hsm`, the key's private form RSA-AES wrapped as a BYOK transfer blob whose header.kid names the
 * wrapping key. The router folds an empty version segment into the versionless path, as for release.
 */
import type { FastifyInstance } from 'fastify';
import { originOf } from '../../http/host.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';
import { toKeyBundle } from './key-bundles.ts';
import { exportedKeyBundleSchema, exportKeyBodySchema } from './key-schemas.ts';

type ExportRequest = {
  Params: { name: string; version?: string };
  Body: { wrappingKid?: string; wrappingKey?: Record<string, unknown>; enc?: string } | undefined;
};

export function registerExportRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const retentionDays = deps.kernel.env.retentionDays;
  operationRoute<'exportKey', ExportRequest>(app, deps, {
    method: 'POST', paths: ['/keys/:name/export', '/keys/:name/:version/export'], operation: 'exportKey',
    schema: { body: exportKeyBodySchema, response: { 200: exportedKeyBundleSchema } },
    input: (request) => ({
      name: request.params.name,
      version: request.params.version,
      wrappingKid: request.body?.wrappingKid,
      wrappingKey: request.body?.wrappingKey,
      enc: request.body?.enc,
      origin: originOf(request.host),
    }),
    answer: (exported, request) => {
      const bundle = toKeyBundle(exported.record, { origin: originOf(request.host), retentionDays });
      return { ...bundle, key: { ...bundle.key, key_hsm: exported.keyHsm } };
    },
  });
}
