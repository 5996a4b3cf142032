/**
 * What the service's log may carry, at every level: never a bearer token, a client secret, key material or a
 * request body. Requests carry all of these, so the logger is built to drop them wherever they would enter:
 *
 * - `req`/`res` objects are reduced to method, path, status and peer (no headers, no query, no body);
 * - errors are reduced to type, code, status, message and stack frames; every other member is dropped (Node's
 *   `rawPacket` on a malformed request is the raw bytes read so far, `Authorization` header included; a body
 *   parser's error may carry the body);
 * - `redact` removes headers, bodies and raw packets wherever a caller puts them in a log object;
 * - in every string that is logged (messages, error messages, stack traces), runs that look like tokens or key
 *   material (long base64/base64url/hex with mixed character classes) are replaced, since some errors quote
 *   their input (`JSON.parse`, `BigInt`).
 * The regression test (test/regression/issue-7-http-logs.test.ts) starts the service at each level and looks
 * for secrets in stderr.
 */
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config/config.ts';

type LoggerOptions = Exclude<NonNullable<FastifyServerOptions['logger']>, boolean>;

/** Where callers might put something secret in a log object; removed, not masked. */
const SECRET_FIELDS = ['headers', 'authorization', 'body', 'payload', 'rawPacket', 'raw', 'token', 'secret', 'jwk', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const REDACTED_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`)];

/** A run of 20+ characters of the base64/base64url/hex alphabets (and the dots of a JWT); judged by looksRandom. */
const SECRET_LOOKING = /[A-Za-z0-9+/_=.-]{20,}/g;
const MAX_MESSAGE = 500;
const MAX_STACK = 4000;

export function loggerOptions(level: Config['logLevel']): LoggerOptions {
  return {
    level,
    // Logs go to stderr: stdout carries only the "listening" line that scripts wait for.
    stream: process.stderr,
    serializers: { req: requestSummary, res: responseSummary, err: errorSummary, error: errorSummary },
    redact: { paths: REDACTED_PATHS, remove: true },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg: unknown) => (typeof arg === 'string' ? maskSecrets(arg) : arg)) as Parameters<typeof method>;
        method.apply(this, masked);
      },
    },
  };
}

/** Replaces what looks like a token or key material; words, paths, UUIDs and error codes stay readable. */
export function maskSecrets(text: string, maxLength = MAX_MESSAGE): string {
  const clipped = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return clipped.replace(SECRET_LOOKING, (run) => (looksRandom(run) ? '[redacted]' : run));
}

function looksRandom(run: string): boolean {
  const classes = Number(/[a-z]/.test(run)) + Number(/[A-Z]/.test(run)) + Number(/[0-9]/.test(run));
  // Base64 of random bytes mixes all three; hex has digits and one case; a path or a word has no digits.
  return classes >= 3 || (classes === 2 && /[0-9]/.test(run) && /^[0-9a-fA-F]+$/.test(run) && run.length >= 32);
}

interface RequestLike {
  method?: unknown;
  url?: unknown;
  ip?: unknown;
}

function requestSummary(request: RequestLike): Record<string, unknown> {
  const url = typeof request.url === 'string' ? request.url : '';
  return { method: request.method, path: maskSecrets(url.split('?')[0] ?? ''), remoteAddress: request.ip };
}

function responseSummary(reply: { statusCode?: unknown }): Record<string, unknown> {
  return { statusCode: reply.statusCode };
}

interface ErrorSummary {
  [member: string]: unknown;
  type: string;
  message: string;
  /** Stack frames only (empty when there are none). */
  stack: string;
  code?: string;
  statusCode?: number;
  cause?: ErrorSummary;
}

export function errorSummary(error: unknown, depth = 0): ErrorSummary {
  if (!(error instanceof Error)) return { type: typeof error, message: '(not an Error)', stack: '' };
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  // The stack without its first line, which repeats the message; frames name files and functions only.
  const frames = error.stack?.split('\n').filter((line) => line.startsWith('    at ')).join('\n') ?? '';
  return {
    type: error.name,
    message: maskSecrets(error.message),
    stack: maskSecrets(frames, MAX_STACK),
    ...(typeof code === 'string' ? { code: maskSecrets(code) } : {}),
    ...(typeof statusCode === 'number' ? { statusCode } : {}),
    ...(error.cause !== undefined && depth < 3 ? { cause: errorSummary(error.cause, depth + 1) } : {}),
  };
}
