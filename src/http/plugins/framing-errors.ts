/**
 * Answers for requests that never reach a route, in the Key Vault envelope like every other answer.
 *
 * Node and Fastify each have their own answers for these, which bypassed the envelope and the hardening
 * headers, and echoed the URL:
 *   - Node's parser refuses malformed HTTP (bad framing, a NUL in a header, an unknown method, headers over
 *     the size limit, a request not received in time) and emits `clientError` with only the socket left:
 *     400, 431 or 408 written on the socket, then the connection is closed (nothing after it can be parsed).
 *     Where the bad bytes follow a complete request whose answer is still being prepared (pipelining, or a
 *     body sent without a length), that request gets its own answer, with `Connection: close`, and nothing
 *     else: an error written first would be taken for its answer, although its work goes on;
 *   - Fastify's router refuses a path with bad percent-encoding or a parameter over `maxParamLength`
 *     (`frameworkErrors`): 400 BadParameter, the path not repeated;
 *   - Node answers an `Expect` other than `100-continue` with a bare 417, and drops a CONNECT; both are
 *     answered here instead.
 * Log lines name the parser's error code only; the error also holds the raw bytes read, token included.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badParameter } from '../../errors/errors.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import { rawAnswer, rawResponseBytes } from '../raw-answer.ts';
import { setResponseHeaders } from '../response-headers.ts';
import { sendError } from './error-handler.ts';

type ParserError = Error & { code?: string; rawPacket?: unknown };
type HttpSocket = Duplex & { _httpMessage?: ServerResponse | null };

/** Sockets whose earlier request is being answered, to be closed after it (clientError repeats per chunk). */
const closingAfterAnswer = new WeakSet<Duplex>();

function errorForParserFailure(code: string | undefined): StrongroomError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new StrongroomError('RequestTimeout', 'The request was not received completely in time.');
    case 'HPE_HEADER_OVERFLOW':
      return new StrongroomError('RequestHeaderFieldsTooLarge', 'The request line and headers are larger than the service accepts.');
    case 'HPE_INVALID_METHOD':
      return badParameter('The request method is not supported.');
    default:
      return badParameter('The request is not valid HTTP/1.1.');
  }
}

/** Fastify's `clientErrorHandler`: bound to the Fastify instance, called with what Node's parser refused. */
export function answerClientError(this: FastifyInstance, error: ParserError, socket: Duplex): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (closingAfterAnswer.has(socket)) return;
  this.log.debug({ code: error.code }, 'malformed request refused');
  const pending = (socket as HttpSocket)._httpMessage ?? undefined;
  if (pending !== undefined && pending.req.complete && error.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
    closingAfterAnswer.add(socket);
    socket.pause();
    if (!pending.headersSent) pending.setHeader('connection', 'close');
    pending.once('close', () => socket.destroy());
    return;
  }
  // Only where no answer has started on this connection: bytes after a started answer would corrupt it.
  if (socket.writable && pending?.headersSent !== true) {
    socket.write(rawResponseBytes(rawAnswer(errorForParserFailure(error.code), { close: true }), { withBody: !looksLikeHead(error) }));
  }
  socket.destroy();
}

/**
 * An answer to HEAD has no body (a client would read one as the start of the next answer). The method is not
 * parsed when the parser fails, but the bytes it read are there; they are looked at for this only.
 */
function looksLikeHead(error: ParserError): boolean {
  return Buffer.isBuffer(error.rawPacket) && error.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
}

/** Fastify's `frameworkErrors`: the router refused the path before any hook ran. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  setResponseHeaders(request, reply);
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return sendError(reply, badParameter('The request path is not valid: it has a malformed percent-encoding.'));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return sendError(reply, badParameter('The request path has a segment longer than the service accepts.'));
    default:
      return sendError(reply, badParameter('The request is malformed.'));
  }
}

/** Node's own answers that happen before Fastify sees a request. */
export function installProtocolAnswers(app: FastifyInstance): void {
  app.server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const answer = rawAnswer(new StrongroomError('ExpectationFailed', 'The only expectation the service supports is 100-continue.'), { close: true });
    response.writeHead(answer.status, answer.headers).end(answer.body);
  });
  app.server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    if (socket.writable) socket.write(rawResponseBytes(rawAnswer(badParameter('The request method is not supported.'), { close: true })));
    socket.destroy();
  });
}
