/**
 * The composition root of the HTTP service: one Fastify instance with the cross-cutting plugins installed in a
 * fixed order, then the route modules. Where a request enters and what it passes through, in order:
 *
 *   0. framing           what Node's parser or Fastify's router refuses, and Node's own
 *                        answers (Expect, CONNECT), in the envelope      (http/plugins/framing-errors.ts)
 *   1. request context   x-ms-request-id, client request id echo, hardening headers      (onRequest)
 *   1b. load shedding    past maxInFlight requests in this worker → 503 + Retry-After   (onRequest)
 *   2. host check        exactly one host named (RFC 9112 §3.2) → 400                    (onRequest)
 *   3. authentication    401 challenge without a token, bearer verification otherwise    (onRequest)
 *   4. api-version       missing or unknown version → 400                               (onRequest)
 *   5. body parsing      JSON in UTF-8 (empty = none) → 415/400, schema validation → 400 (Fastify)
 *   6. route handler     api/* builds the caller context and the operation's input, then
 *                        kernel.perform (domain/kernel/kernel.ts): authorize, run, audit, observe
 *   7. serialization     the route's response schema is the allowlist of what leaves
 *   errors at any step   the error handler renders the Key Vault envelope
 * Logs never carry headers, bodies or raw request bytes (http/log-redaction.ts).
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import './http/fastify-types.ts';
import { registerBackupRoutes } from './api/backup/backup-routes.ts';
import { registerCryptoRoutes } from './api/crypto/crypto-routes.ts';
import { registerPrincipalRoutes } from './api/principals/principal-routes.ts';
import { registerRbacRoutes } from './api/rbac/rbac-routes.ts';
import { registerSecurityDomainRoutes } from './api/custody/security-domain-routes.ts';
import { registerHealthRoutes, type HealthReport } from './api/health/health-routes.ts';
import { registerIdentityRoutes } from './api/identity/identity-routes.ts';
import { registerManagedIdentityRoutes } from './api/identity/managed-identity-routes.ts';
import { registerKeyRoutes } from './api/keys/key-routes.ts';
import { installServiceThrottle, type ThrottleDeps } from './http/plugins/service-throttle.ts';
import { registerAttestationRoutes } from './api/keys/attestation-routes.ts';
import { registerReleaseRoutes } from './api/keys/release-routes.ts';
import { registerRotationRoutes } from './api/keys/rotation-routes.ts';
import { registerExportRoutes } from './api/keys/export-routes.ts';
import { registerSecretRoutes } from './api/secrets/secret-routes.ts';
import type { ExternalIssuers } from './domain/identity/external-issuers.ts';
import type { TokenService } from './domain/identity/token-service.ts';
import type { Kernel } from './domain/kernel/kernel.ts';
import type { ProcessAuditLog } from './domain/audit/create-audit-log.ts';
import { installAuditRequests } from './http/plugins/audit-requests.ts';
import { installApiVersionCheck } from './http/plugins/api-version.ts';
import { installAuthentication } from './http/plugins/authentication.ts';
import { installErrorHandler } from './http/plugins/error-handler.ts';
import { answerClientError, answerFrameworkError, installProtocolAnswers } from './http/plugins/framing-errors.ts';
import { installHostCheck } from './http/plugins/host-check.ts';
import { installLoadShedding } from './http/plugins/load-shedding.ts';
import { installRequestContext } from './http/plugins/request-context.ts';
import { installJsonBodyParser } from './http/json-body.ts';
import { loggerOptions } from './http/log-redaction.ts';
import { refuseRoutesWithoutOperation } from './http/route-operations.ts';
import type { IntDate } from './lib/intdate.ts';
import type { PrincipalReader } from './storage/store.ts';
import type { Config } from './config/config.ts';

export interface AppServices {
  kernel: Kernel;
  /** What `/healthz` reports: the store reachable, the key material unlocked. */
  health: () => Promise<HealthReport>;
  /** The clock every request's operation reads "now" from. */
  clock: () => IntDate;
  tokens: TokenService;
  /** Identity providers whose tokens are accepted too (`--trust-issuer`); none by default. */
  externalIssuers?: ExternalIssuers | undefined;
  principals: PrincipalReader;
  /** This process's audit log: records the requests the kernel did not (http/plugins/audit-requests.ts). */
  audit?: ProcessAuditLog | undefined;
  /** The key managed-identity headers are checked with (derived from the security domain). */
  managedIdentityKey: () => Buffer;
  /** `--throttle keyvault`: Key Vault's transaction limits; absent when off. */
  throttle?: ThrottleDeps | undefined;
}

/** How much one worker process takes on at once (see config.ts for each option's meaning and default). */
export type HttpLimits = Pick<Config, 'maxInFlight' | 'maxConnections' | 'requestTimeoutSeconds'>;

export interface AppOptions {
  tls: { certificatePem: string; privateKeyPem: string };
  logLevel: Config['logLevel'];
  /** From the configuration: in-flight requests, connections, request timeout. */
  limits: HttpLimits;
}

/** Largest request body accepted by default (an RSA-4096 JWK import with 15 long tags is well below). */
const DEFAULT_BODY_LIMIT = 256 * 1024;

export function buildApp(services: AppServices, options: AppOptions): FastifyInstance {
  const { limits } = options;
  const requestTimeoutMs = limits.requestTimeoutSeconds * 1000;
  const app = Fastify({
    https: {
      cert: options.tls.certificatePem,
      key: options.tls.privateKeyPem,
      minVersion: 'TLSv1.2',
      // A missing Host is refused by the host check, in the envelope, rather than by Node with an empty 400.
      requireHostHeader: false,
      // The whole request (headers included) within the request timeout, checked every second, else 408; a
      // TLS handshake within 10 s. Slow clients do not hold a connection slot for long.
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: 1000,
      handshakeTimeout: Math.min(10_000, requestTimeoutMs),
    },
    logger: loggerOptions(options.logLevel),
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: error logs name the request id themselves, and a child costs every request.
    childLoggerFactory: (logger) => logger,
    genReqId: () => randomUUID(),
    bodyLimit: DEFAULT_BODY_LIMIT,
    keepAliveTimeout: 120_000,
    requestTimeout: requestTimeoutMs,
    // A connection silent this long while its request is handled is closed (its slot is then freed by the
    // load shedding's safety net); well past any answer the in-flight bound lets wait.
    connectionTimeout: 2 * requestTimeoutMs + 60_000,
    routerOptions: {
      caseSensitive: false,
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      maxParamLength: 256,
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  });

  refuseRoutesWithoutOperation(app);
  installJsonBodyParser(app);
  // Connections past the limit are closed by Node as they arrive: no TLS, no answer, no memory.
  app.server.maxConnections = limits.maxConnections;
  installProtocolAnswers(app);
  installRequestContext(app);
  // Before the load shedding: a throttled request is answered first and never takes an in-flight slot.
  if (services.throttle !== undefined) installServiceThrottle(app, services.throttle);
  installLoadShedding(app, { maxInFlight: limits.maxInFlight, abandonedAfterMs: 2 * requestTimeoutMs });
  installHostCheck(app);
  installAuthentication(app, services.tokens, services.externalIssuers);
  installApiVersionCheck(app);
  installErrorHandler(app);
  if (services.audit !== undefined) installAuditRequests(app, services.audit.sink);

  registerIdentityRoutes(app, { principals: services.principals, tokens: services.tokens });
  registerManagedIdentityRoutes(app, { principals: services.principals, tokens: services.tokens, macKey: services.managedIdentityKey });
  registerHealthRoutes(app, services.health);
  const routeDeps = { kernel: services.kernel, clock: services.clock };
  registerKeyRoutes(app, routeDeps);
  registerReleaseRoutes(app, routeDeps);
  registerAttestationRoutes(app, routeDeps);
  registerRotationRoutes(app, routeDeps);
  registerExportRoutes(app, routeDeps);
  registerSecretRoutes(app, routeDeps);
  registerCryptoRoutes(app, routeDeps);
  registerSecurityDomainRoutes(app, routeDeps);
  registerBackupRoutes(app, routeDeps);
  registerRbacRoutes(app, routeDeps);
  registerPrincipalRoutes(app, { ...routeDeps, tenantId: services.tokens.tenantId });
  return app;
}
