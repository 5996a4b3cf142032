/**
 * Headers every response carries: the request id (`x-ms-request-id`), the echo of the client's own request id,
 * and the hardening headers the service sends (the list is in ../response-headers.ts).
 */
import type { FastifyInstance } from 'fastify';
import { setResponseHeaders } from '../response-headers.ts';

export function installRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    setResponseHeaders(request, reply);
    done();
  });
}
