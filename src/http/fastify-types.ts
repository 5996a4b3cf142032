/**
 * What Strongroom adds to Fastify's request and route config types. Each route states in its `config` which
 * plane it belongs to and which local-RBAC data action it needs; the plugins read these, so behaviour that
 * cuts across routes is configured where the route is declared.
 */
import type { Principal } from '../domain/identity/token-service.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Identity endpoints (OpenID discovery, token, JWKS) need neither a bearer token nor an api-version. */
    identity?: boolean;
    /** The Managed HSM local-RBAC data action this route needs, e.g. `Microsoft.KeyVault/managedHsm/keys/read/action`. */
    dataAction?: string;
  }
  interface FastifyRequest {
    /** The authenticated caller of a data-plane request. */
    principal: Principal | undefined;
  }
}
