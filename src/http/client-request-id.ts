/**
 * The caller's own request id (`x-ms-client-request-id`): echoed in the answer and recorded with the operation
 * only when it is well formed, so that nothing a client sends in it reaches a header or a log verbatim.
 */
import type { FastifyRequest } from 'fastify';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function wellFormedClientRequestId(request: FastifyRequest): string | undefined {
  const value = request.headers['x-ms-client-request-id'];
  return typeof value === 'string' && CLIENT_REQUEST_ID.test(value) ? value : undefined;
}
