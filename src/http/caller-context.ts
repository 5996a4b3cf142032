/**
 * The kernel's caller context of an HTTP request: the principal the bearer token proved, our request id, the
 * client's own request id when it sent a well-formed one, and the source address.
 */
import type { FastifyRequest } from 'fastify';
import type { CallerContext } from '../domain/kernel/context.ts';
import type { IntDate } from '../lib/intdate.ts';
import { unauthorized } from '../errors/errors.ts';
import { wellFormedClientRequestId } from './client-request-id.ts';

export function callerContextOf(request: FastifyRequest, clock: () => IntDate): CallerContext {
  // The authentication hook runs before every data-plane handler; a handler without a principal is a wiring bug.
  if (request.principal === undefined) throw unauthorized('The request was not authenticated.', {});
  return {
    caller: { id: request.principal.id, kind: 'service-principal' },
    channel: 'http',
    requestId: request.id,
    clientRequestId: wellFormedClientRequestId(request),
    sourceAddress: request.ip,
    clock,
  };
}
