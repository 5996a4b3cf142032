/**
 * GET /keys/{name}/{version}/attestation and GET /keys/{name}/attestation (the latest version; the SDK sends
 * `/keys/{name}/attestation` for no version, and the router folds `/keys/{name}//attestation` into it).
 * The answer is the key bundle with `attributes.attestation` (domain/keys/key-attestation.ts).
 */
import type { FastifyInstance } from 'fastify';
import { originOf } from '../../http/host.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';
import { toAttestedKeyBundle } from './key-bundles.ts';
import { keyBundleSchema } from './key-schemas.ts';

type VersionParams = { Params: { name: string; version?: string } };

export function registerAttestationRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const retentionDays = deps.kernel.env.retentionDays;
  operationRoute<'getKeyAttestation', VersionParams>(app, deps, {
    method: 'GET', paths: ['/keys/:name/attestation', '/keys/:name/:version/attestation'], operation: 'getKeyAttestation',
    schema: { response: { 200: keyBundleSchema } },
    input: (request) => ({ name: request.params.name, version: request.params.version, origin: originOf(request.host) }),
    answer: (attested, request) => toAttestedKeyBundle(attested, { origin: originOf(request.host), retentionDays }),
  });
}
