/**
 * `POST /keys/{name}/rotate`, `GET` and `PUT /keys/{name}/rotationpolicy` (reference §3.4).
 *
 * Routing: `rotationpolicy` is a literal segment, and the router prefers literals, so `GET /keys/k/rotationpolicy`
 * never reaches `GET /keys/:name/:version` (versions are 32 hex digits anyway). Action types leave spelled
 * `Rotate` / `Notify` (the SDK's enum; Managed HSM itself answers them lower-cased, which the SDK also accepts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyRotationPolicyView } from '../../domain/keys/key-rotation.ts';
import type { RotationPolicyRequest } from '../../domain/keys/rotation-policy.ts';
import { originOf } from '../../http/host.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';
import { toKeyBundle, type Presentation } from './key-bundles.ts';
import { keyBundleSchema } from './key-schemas.ts';
import { rotationPolicyBodySchema, rotationPolicySchema } from './rotation-schemas.ts';

type NameParams = { Params: { name: string } };

export function registerRotationRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const retentionDays = deps.kernel.env.retentionDays;
  const view = (request: FastifyRequest): Presentation => ({ origin: originOf(request.host), retentionDays });
  const policy = { 200: rotationPolicySchema };

  operationRoute<'rotateKey', NameParams>(app, deps, {
    method: 'POST', paths: ['/keys/:name/rotate'], operation: 'rotateKey',
    schema: { response: { 200: keyBundleSchema } },
    input: (request) => ({ name: request.params.name }),
    answer: (key, request) => toKeyBundle(key, view(request)),
  });

  operationRoute<'getKeyRotationPolicy', NameParams>(app, deps, {
    method: 'GET', paths: ['/keys/:name/rotationpolicy'], operation: 'getKeyRotationPolicy',
    schema: { response: policy },
    input: (request) => ({ name: request.params.name }),
    answer: (output, request) => toRotationPolicyWire(output, originOf(request.host)),
  });

  operationRoute<'updateKeyRotationPolicy', NameParams & { Body: RotationPolicyRequest | undefined }>(app, deps, {
    method: 'PUT', paths: ['/keys/:name/rotationpolicy'], operation: 'updateKeyRotationPolicy',
    schema: { body: rotationPolicyBodySchema, response: policy },
    input: (request) => ({ name: request.params.name, policy: request.body ?? {}, vaultUri: originOf(request.host) }),
    answer: (output, request) => toRotationPolicyWire(output, originOf(request.host)),
  });
}

/** The wire's KeyRotationPolicy; a key without a policy has no actions and no attributes but `id`'s. */
export function toRotationPolicyWire(view: KeyRotationPolicyView, origin: string) {
  const id = `${origin}/keys/${view.name}/rotationpolicy`;
  const stored = view.stored;
  if (stored === undefined) return { id, lifetimeActions: [], attributes: {} };
  return {
    id,
    lifetimeActions: stored.policy.lifetimeActions.map((action) => ({
      trigger: action.timeAfterCreate === undefined ? { timeBeforeExpiry: action.timeBeforeExpiry } : { timeAfterCreate: action.timeAfterCreate },
      action: { type: action.type },
    })),
    attributes: { expiryTime: stored.policy.expiryTime, created: stored.created, updated: stored.updated },
  };
}
