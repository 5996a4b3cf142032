/**
 * PATCH /keys/{name} and PATCH /keys/{name}/{version}: updateKey, or setKeyTrusted when the body sets
 * `attributes.trusted` (domain/keys/key-trust.ts). Marking a key trusted needs its own data action
 * (keys/trusted/write/action), and the kernel authorizes one data action per operation, so the route picks the
 * operation from the body. A body that sets `trusted` changes nothing else: each act is authorized and audited
 * on its own (a read-only attribute a client echoes back, such as `created`, is ignored as updateKey ignores it).
 *
 * The route names updateKey in its config (the operation the plugins classify it by: throttle, request audit);
 * the kernel's audit record names the operation actually performed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UpdateKeyRequest } from '../../domain/keys/key-lifecycle.ts';
import { setKeyTrusted } from '../../domain/keys/key-trust.ts';
import { OPERATIONS } from '../../domain/kernel/catalogue.ts';
import { badParameter } from '../../errors/errors.ts';
import { callerContextOf } from '../../http/caller-context.ts';
import type { RouteDeps } from '../operation-route.ts';
import { toKeyBundle, type Presentation } from './key-bundles.ts';
import { keyBundleSchema, updateKeyBodySchema } from './key-schemas.ts';

type UpdateRequest = FastifyRequest<{ Params: { name: string; version?: string }; Body: UpdateKeyRequest | undefined }>;

/** What a trust change may not carry beside `attributes.trusted`. */
const CHANGEABLE_ATTRIBUTES = ['enabled', 'nbf', 'exp', 'exportable', 'wrapWithTrusted'] as const;
const CHANGEABLE_MEMBERS = ['key_ops', 'tags', 'release_policy'] as const;

export function registerUpdateRoutes(app: FastifyInstance, deps: RouteDeps, view: (request: FastifyRequest) => Presentation): void {
  for (const url of ['/keys/:name', '/keys/:name/:version']) {
    app.route({
      method: 'PATCH',
      url,
      schema: { body: updateKeyBodySchema, response: { 200: keyBundleSchema } },
      config: { operation: 'updateKey' },
      handler: async (raw) => {
        const request = raw as UpdateRequest;
        const { name, version } = request.params;
        const body = request.body ?? {};
        const context = callerContextOf(request, deps.clock);
        const trusted = body.attributes?.trusted;
        const key = trusted === undefined
          ? await deps.kernel.perform(context, OPERATIONS.updateKey, { name, version, request: body })
          : await deps.kernel.perform(context, setKeyTrusted, { name, version, trusted: onlyTrusted(body, trusted) });
        return toKeyBundle(key, view(request));
      },
    });
  }
}

function onlyTrusted(body: UpdateKeyRequest, trusted: boolean): boolean {
  const attributes = body.attributes ?? {};
  const others = [
    ...CHANGEABLE_ATTRIBUTES.filter((member) => attributes[member] !== undefined).map((member) => `attributes.${member}`),
    ...CHANGEABLE_MEMBERS.filter((member) => body[member] !== undefined),
  ];
  if (others.length > 0) {
    throw badParameter(`attributes.trusted is changed in a request of its own (it needs keys/trusted/write/action); send ${others.join(', ')} in another request.`);
  }
  return trusted;
}
