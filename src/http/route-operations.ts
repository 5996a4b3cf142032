/**
 * Every data-plane route performs an operation of the kernel's catalogue, so that no request can reach the
 * domain around authorization and audit. Registering a route that is neither an identity endpoint nor names a
 * known operation fails at start-up, not in production traffic.
 */
import type { FastifyInstance } from 'fastify';
import { isOperationName } from '../domain/kernel/catalogue.ts';

export function refuseRoutesWithoutOperation(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const config = route.config as { identity?: boolean; operation?: string } | undefined;
    if (config?.identity === true) return;
    // Fastify adds HEAD for every GET; it inherits the GET route's config.
    const operation = config?.operation;
    if (operation === undefined || !isOperationName(operation)) {
      throw new Error(`route ${String(route.method)} ${route.url} names no operation of the kernel's catalogue (config.operation)`);
    }
  });
}
