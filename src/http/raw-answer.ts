/**
 * Answers written without Fastify, for requests that never become a Fastify request: those Node's HTTP parser
 * refuses (the `clientError` path, where only the socket is left) and those Node would answer by itself (an
 * unknown `Expect`, a CONNECT). They carry what every answer of the service carries: the Key Vault envelope, a
 * fresh request id and the hardening headers; nothing of the request is echoed.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { StrongroomError } from '../errors/strongroom-error.ts';
import { errorEnvelope } from './envelope.ts';
import { HARDENING_HEADERS } from './response-headers.ts';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function rawAnswer(error: StrongroomError, options: { close: boolean }): RawAnswer {
  const body = JSON.stringify(errorEnvelope(error));
  return {
    status: error.status,
    headers: {
      'x-ms-request-id': randomUUID(),
      ...HARDENING_HEADERS,
      ...error.headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      ...(options.close ? { connection: 'close' } : {}),
    },
    body,
  };
}

/** The answer as HTTP/1.1 bytes, for writing on a bare socket; without its body for a HEAD request. */
export function rawResponseBytes(answer: RawAnswer, options: { withBody: boolean } = { withBody: true }): string {
  const head = Object.entries(answer.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Error'}\r\n${head}\r\n${options.withBody ? answer.body : ''}`;
}
