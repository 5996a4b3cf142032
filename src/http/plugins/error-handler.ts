/**
 * Renders every failure in the Key Vault error envelope.
 *
 * `StrongroomError`s carry their own code and status. Errors Fastify raises before a handler runs (schema
 * validation, body size, media type, malformed requests) are mapped to the closest wire code; their messages
 * are rewritten so that no part of a request body is ever echoed (a JSON syntax error would quote it, and an
 * import body holds private key material). Errors the kernel maps (a store that cannot be used, a locked root)
 * are mapped the same way when a hook meets them. Anything else is a bug: logged with the request id, answered 500.
 * A request no route serves is 405 MethodNotAllowed (with `Allow`) when its path exists for other methods
 * (../route-methods.ts says when), 404 NotFound otherwise; neither repeats the path.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { internalError } from '../../errors/errors.ts';
import { isStrongroomError, StrongroomError } from '../../errors/strongroom-error.ts';
import { toWireError } from '../../domain/kernel/wire-errors.ts';
import { errorEnvelope } from '../envelope.ts';
import { trackRouteMethods } from '../route-methods.ts';

export function installErrorHandler(app: FastifyInstance): void {
  const routeMethods = trackRouteMethods(app);
  app.setErrorHandler((error: FastifyError | StrongroomError, request, reply) => {
    const mapped = toStrongroomError(error);
    if (mapped.status >= 500) {
      request.log.error({ err: error, requestId: request.id }, 'request failed with an internal error');
    }
    sendError(reply, mapped);
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const allowed = routeMethods.allowedMethods(request.method, request.url);
    if (allowed === undefined) return sendError(reply, new StrongroomError('NotFound', 'The requested operation does not exist.'));
    sendError(reply, new StrongroomError('MethodNotAllowed', 'The requested operation does not support this HTTP method.', { headers: { allow: allowed.join(', ') } }));
  });
}

export function sendError(reply: FastifyReply, error: StrongroomError): void {
  void reply.code(error.status).headers(error.headers).send(errorEnvelope(error));
}

function toStrongroomError(error: FastifyError | StrongroomError): StrongroomError {
  if (isStrongroomError(error)) return error;
  // What the kernel maps (a store that cannot be used: 503) means the same where a hook met it, such as the
  // token check that asks the store whether a principal still exists.
  const wire = toWireError(error);
  if (isStrongroomError(wire)) return wire;
  if (error.validation !== undefined) {
    const first = error.validation[0];
    if (first?.instancePath === '' && first.keyword === 'type') {
      return new StrongroomError('BadParameter', `The request ${error.validationContext ?? 'body'} must be a JSON object.`);
    }
    const where = error.validationContext ?? 'request';
    const path = first?.instancePath === '' || first?.instancePath === undefined ? where : `${where}${first.instancePath}`;
    return new StrongroomError('BadParameter', `Invalid ${path}: ${first?.message ?? 'does not match the expected shape'}.`);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new StrongroomError('RequestEntityTooLarge', 'The request body is larger than this operation accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new StrongroomError('UnsupportedMediaType', 'The request body must be JSON in UTF-8 (Content-Type: application/json).');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new StrongroomError('BadParameter', 'The request body does not match its Content-Length.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new StrongroomError('BadParameter', 'The request body is not valid JSON.');
  }
  if (error instanceof SyntaxError) return new StrongroomError('BadParameter', 'The request body is not valid JSON.');
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new StrongroomError('BadParameter', 'The request is malformed.');
  return internalError(error);
}
