/**
 * Headers every response carries: the request id (`x-ms-request-id`), the echo of the client's own request id,
 * and the hardening headers the service sends.
 */
import type { FastifyInstance } from 'fastify';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function installRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-ms-request-id', request.id);
    const clientRequestId = request.headers['x-ms-client-request-id'];
    if (typeof clientRequestId === 'string' && CLIENT_REQUEST_ID.test(clientRequestId)) {
      reply.header('x-ms-client-request-id', clientRequestId);
    }
    reply.header('cache-control', 'no-cache');
    reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    reply.header('x-content-type-options', 'nosniff');
    done();
  });
}
