/**
 * One audit record for every request the kernel did not record: refused before a route ran (401 without a valid
 * token, 429/503 shed, a bad api-version, a body that failed its schema), answered by no route (404), or served by
 * a route that performs no kernel operation (the token endpoint, OpenID discovery). A request the kernel recorded
 * (allowed or refused) is not recorded again: the audit log remembers the request ids it recorded
 * (`takeHandled`). `/healthz` is not recorded (load balancers poll it).
 *
 * What the record keeps: the route's operation name (a 401 on `POST /keys/k/sign` is a `KeySign` refused
 * `Unauthorized`), the status and error code, the principal when the token proved one (on the token endpoint, the
 * form's `client_id`), the source address, the request ids and the path (the query too, except on identity
 * endpoints). Never a header, a token or a body.
 *
 * Install it before the route modules (in app.ts, after the error handler).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import '../fastify-types.ts';
import type { RequestAuditEvent } from '../../domain/audit/audit-entry.ts';
import { AUDIT_OPERATION_NAMES, REQUEST_OPERATION_NAMES } from '../../domain/audit/audit-operation-names.ts';
import { wellFormedClientRequestId } from '../client-request-id.ts';

export interface RequestAuditLog {
  recordRequest(event: RequestAuditEvent): void;
  takeHandled(requestId: string): boolean;
}

/** Error bodies larger than this are not parsed for their code (the envelope is small). */
const MAX_ENVELOPE = 8 * 1024;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function installAuditRequests(app: FastifyInstance, log: RequestAuditLog): void {
  const errorCodes = new WeakMap<FastifyRequest, string>();
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400 && typeof payload === 'string' && payload.length <= MAX_ENVELOPE) {
      const code = envelopeCode(payload);
      if (code !== undefined) errorCodes.set(request, code);
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (log.takeHandled(request.id)) return done();
    const config = (request.routeOptions.config ?? {}) as { operation?: string; identity?: boolean; health?: boolean };
    if (config.health === true) return done();
    const identity = config.identity === true;
    const path = request.url.split('?')[0] ?? request.url;
    log.recordRequest({
      operationName: operationNameOf(config, path),
      statusCode: reply.statusCode,
      errorCode: errorCodes.get(request),
      principalId: request.principal?.id ?? (identity ? formClientId(request) : undefined),
      keyName: config.operation === undefined ? undefined : routeKeyName(request),
      sourceAddress: request.ip,
      requestId: request.id,
      clientRequestId: wellFormedClientRequestId(request),
      requestUri: identity ? path : request.url,
      durationMs: reply.elapsedTime,
    });
    done();
  });
}

function operationNameOf(config: { operation?: string; identity?: boolean }, path: string): string {
  if (config.operation !== undefined && Object.hasOwn(AUDIT_OPERATION_NAMES, config.operation)) {
    return AUDIT_OPERATION_NAMES[config.operation as keyof typeof AUDIT_OPERATION_NAMES];
  }
  if (config.identity === true) return /\/token$/i.test(path) ? REQUEST_OPERATION_NAMES.token : REQUEST_OPERATION_NAMES.identityMetadata;
  return REQUEST_OPERATION_NAMES.unknown;
}

function envelopeCode(payload: string): string | undefined {
  try {
    const code = (JSON.parse(payload) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' ? code.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

/** The token form's `client_id` (an identifier, never the secret), when well formed. */
function formClientId(request: FastifyRequest): string | undefined {
  const body = request.body as { client_id?: unknown } | undefined;
  const value = body !== null && typeof body === 'object' ? body.client_id : undefined;
  return typeof value === 'string' && CLIENT_ID.test(value) ? value : undefined;
}

/** The `{name}` of a key route (`/keys/{name}/…`, `/deletedkeys/{name}`), as the router matched it. */
function routeKeyName(request: FastifyRequest): string | undefined {
  const name = (request.params as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' && /^\/(keys|deletedkeys)\//i.test(request.url) ? name : undefined;
}
