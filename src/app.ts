/**
 * The composition root of the HTTP service: one Fastify instance with the cross-cutting plugins installed in a
 * fixed order, then the route modules. Where a request enters and what it passes through, in order:
 *
 *   1. request context   x-ms-request-id, client request id echo, hardening headers      (onRequest)
 *   2. authentication    401 challenge without a token, bearer verification otherwise    (onRequest)
 *   3. api-version       missing or unknown version → 400                               (onRequest)
 *   4. body parsing      JSON (empty = none), schema validation → 400                    (Fastify)
 *   5. route handler     api/* builds the caller context and the operation's input, then
 *                        kernel.perform (domain/kernel/kernel.ts): authorize, run, audit, observe
 *   6. serialization     the route's response schema is the allowlist of what leaves
 *   errors at any step   the error handler renders the Key Vault envelope
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import './http/fastify-types.ts';
import { registerCryptoRoutes } from './api/crypto/crypto-routes.ts';
import { registerIdentityRoutes } from './api/identity/identity-routes.ts';
import { registerKeyRoutes } from './api/keys/key-routes.ts';
import type { TokenService } from './domain/identity/token-service.ts';
import type { Kernel } from './domain/kernel/kernel.ts';
import { installApiVersionCheck } from './http/plugins/api-version.ts';
import { installAuthentication } from './http/plugins/authentication.ts';
import { installErrorHandler } from './http/plugins/error-handler.ts';
import { installRequestContext } from './http/plugins/request-context.ts';
import { installJsonBodyParser } from './http/json-body.ts';
import { refuseRoutesWithoutOperation } from './http/route-operations.ts';
import type { IntDate } from './lib/intdate.ts';
import type { PrincipalReader } from './storage/store.ts';
import type { Config } from './config/config.ts';

export interface AppServices {
  kernel: Kernel;
  /** The clock every request's operation reads "now" from. */
  clock: () => IntDate;
  tokens: TokenService;
  principals: PrincipalReader;
}

export interface AppOptions {
  tls: { certificatePem: string; privateKeyPem: string };
  logLevel: Config['logLevel'];
}

/** Largest request body accepted by default (an RSA-4096 JWK import with 15 long tags is well below). */
const DEFAULT_BODY_LIMIT = 256 * 1024;

export function buildApp(services: AppServices, options: AppOptions): FastifyInstance {
  const app = Fastify({
    https: { cert: options.tls.certificatePem, key: options.tls.privateKeyPem, minVersion: 'TLSv1.2' },
    // Logs go to stderr: stdout carries only the "listening" line that scripts wait for.
    logger: { level: options.logLevel, stream: process.stderr },
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: error logs name the request id themselves, and a child costs every request.
    childLoggerFactory: (logger) => logger,
    genReqId: () => randomUUID(),
    bodyLimit: DEFAULT_BODY_LIMIT,
    keepAliveTimeout: 120_000,
    routerOptions: {
      caseSensitive: false,
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      maxParamLength: 256,
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });

  refuseRoutesWithoutOperation(app);
  installJsonBodyParser(app);
  installRequestContext(app);
  installAuthentication(app, services.tokens);
  installApiVersionCheck(app);
  installErrorHandler(app);

  registerIdentityRoutes(app, { principals: services.principals, tokens: services.tokens });
  const routeDeps = { kernel: services.kernel, clock: services.clock };
  registerKeyRoutes(app, routeDeps);
  registerCryptoRoutes(app, routeDeps);
  return app;
}
