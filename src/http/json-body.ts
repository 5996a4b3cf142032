/**
 * JSON request bodies. Like the service, an empty body with a JSON content type means "no body" (the SDKs send
 * `POST .../recover` that way); anything else must be JSON, parsed with Fastify's prototype-poisoning guard.
 */
import type { FastifyInstance } from 'fastify';
import { badParameter } from '../errors/errors.ts';

export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    parseJson(request, String(body), (error, value) => (error ? done(badParameter('The request body is not valid JSON.'), undefined) : done(null, value)));
  });
}
