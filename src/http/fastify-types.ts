/**
 * What Strongroom adds to Fastify's request and route config types. Every data-plane route names the operation
 * it performs (`config.operation`, a key of the kernel's catalogue); the operation declares its data action,
 * scope and rules, so routes repeat none of them. Plugins that cut across routes (throttling, metrics) read
 * the operation from here.
 */
import type { Principal } from '../domain/identity/token-service.ts';
import type { OperationName } from '../domain/kernel/catalogue.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Identity endpoints (OpenID discovery, token, JWKS) need neither a bearer token nor an api-version. */
    identity?: boolean;
    /** The health endpoint (`/healthz`) needs neither either, and answers in its own small shape. */
    health?: boolean;
    /** The operation of the kernel's catalogue this data-plane route performs. */
    operation?: OperationName;
  }
  interface FastifyRequest {
    /** The authenticated caller of a data-plane request. */
    principal: Principal | undefined;
  }
}
