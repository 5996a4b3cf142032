/**
 * `--throttle keyvault`: Key Vault's transaction limits (domain/limits/), answered as Key Vault answers them —
 * 429 `Throttled` with `Retry-After` and its text — so the SDKs' retry policies wait and try again.
 *
 * Registered before the load shedding, so a throttled request is answered first and never takes one of the
 * in-flight slots. Admission looks only at the route's operation (the body is not read yet); the charge comes
 * once the request is authenticated and its body parsed, weighted by the key it is on, so unauthenticated
 * requests and requests refused here cost nothing.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyFacts } from '../../domain/limits/service-limits.ts';
import type { ServiceThrottle } from '../../domain/limits/service-throttle.ts';
import { requestedKeyFacts, transactionClassOf, transactionCost } from '../../domain/limits/transaction-classes.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import { sendError } from './error-handler.ts';

export interface ThrottleDeps {
  throttle: ServiceThrottle;
  /** The type of a stored key version (latest when no version), to weigh an operation on it. */
  keyFacts(name: string, version: string | undefined): Promise<KeyFacts | undefined>;
}

/** Key Vault's own text (its `Reason` names the limit a request type reached). */
const THROTTLED_MESSAGE = 'Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached';

export function installServiceThrottle(app: FastifyInstance, deps: ThrottleDeps): void {
  app.addHook('onRequest', (request, reply, done) => {
    const operation = request.routeOptions.config.operation;
    if (operation === undefined) return done();
    const admission = deps.throttle.admit(transactionClassOf(operation));
    if (admission.admitted) return done();
    sendError(reply, new StrongroomError('Throttled', THROTTLED_MESSAGE, {
      headers: { 'retry-after': String(admission.retryAfterSeconds) },
    }));
  });
  app.addHook('preHandler', async (request) => {
    const operation = request.routeOptions.config.operation;
    if (operation === undefined) return;
    deps.throttle.charge(transactionClassOf(operation), transactionCost(operation, await keyOf(request, operation, deps)));
  });
}

async function keyOf(request: FastifyRequest, operation: string, deps: ThrottleDeps): Promise<KeyFacts | undefined> {
  const transactionClass = transactionClassOf(operation);
  if (transactionClass === 'keyCreate') return requestedKeyFacts(operation, request.body);
  if (transactionClass !== 'keyOther') return undefined;
  const params = request.params as { name?: string; version?: string };
  if (params.name === undefined) return undefined;
  try {
    return await deps.keyFacts(params.name, params.version === '' ? undefined : params.version);
  } catch {
    // The store is unreachable: the operation will say so itself; weigh it as the cheapest key.
    return undefined;
  }
}
