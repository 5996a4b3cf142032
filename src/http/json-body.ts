/**
 * JSON request bodies. Like the service, an empty body with a JSON content type means "no body" (the SDKs send
 * `POST .../recover` that way); anything else must be JSON, parsed with Fastify's prototype-poisoning guard.
 * JSON is UTF-8 (RFC 8259 §8.1): a `charset` parameter naming anything else (`utf-16`, `iso-8859-1`) is refused
 * with 415 rather than decoded wrongly; none given means UTF-8.
 */
import type { FastifyInstance } from 'fastify';
import { badParameter } from '../errors/errors.ts';
import { StrongroomError } from '../errors/strongroom-error.ts';

const CHARSET_PARAMETER = /;\s*charset\s*=\s*("?)([^";\s]*)\1/gi;

/** Whether every `charset` parameter of a Content-Type names UTF-8 (case-insensitive, quoted or not). */
export function declaresOnlyUtf8(contentType: string | undefined): boolean {
  if (contentType === undefined || !contentType.includes('=')) return true;
  for (const match of contentType.matchAll(CHARSET_PARAMETER)) {
    if (match[2]?.toLowerCase() !== 'utf-8') return false;
  }
  return true;
}

export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (!declaresOnlyUtf8(request.headers['content-type'])) {
      return done(new StrongroomError('UnsupportedMediaType', 'The request body must be JSON in UTF-8; no other charset is accepted.'), undefined);
    }
    if (body.length === 0) return done(null, undefined);
    parseJson(request, String(body), (error, value) => (error ? done(badParameter('The request body is not valid JSON.'), undefined) : done(null, value)));
  });
}
