/**
 * The headers every answer of the service carries, whichever path wrote it (a route, Fastify's own refusals,
 * or the raw answers to requests Node's parser refused): the request id and the hardening headers the service
 * sends. One list, so that no path forgets one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { wellFormedClientRequestId } from './client-request-id.ts';

export const HARDENING_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-cache',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
};

/** Sets the request id, the echo of a well-formed client request id and the hardening headers. */
export function setResponseHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-ms-request-id', request.id);
  const clientRequestId = wellFormedClientRequestId(request);
  if (clientRequestId !== undefined) reply.header('x-ms-client-request-id', clientRequestId);
  reply.headers(HARDENING_HEADERS);
}
