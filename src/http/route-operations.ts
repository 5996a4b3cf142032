/**
 * Every data-plane route performs an operation of the kernel's catalogue, so that no request can reach the
 * domain around authorization and audit. Registering a route that is neither an identity endpoint nor the health
 * endpoint nor names a known operation fails at start-up, not in production traffic. The routes are remembered, so that a test can
 * check the catalogue against them (every operation is reachable, or has a documented caller that is not HTTP).
 */
import type { FastifyInstance } from 'fastify';
import { isOperationName, type OperationName } from '../domain/kernel/catalogue.ts';

export interface DataPlaneRoute {
  method: string;
  url: string;
  operation: OperationName;
}

const routesOfApp = new WeakMap<FastifyInstance, DataPlaneRoute[]>();

export function refuseRoutesWithoutOperation(app: FastifyInstance): void {
  const routes: DataPlaneRoute[] = [];
  routesOfApp.set(app, routes);
  app.addHook('onRoute', (route) => {
    const config = route.config as { identity?: boolean; health?: boolean; operation?: string } | undefined;
    if (config?.identity === true || config?.health === true) return;
    const operation = config?.operation;
    if (operation === undefined || !isOperationName(operation)) {
      throw new Error(`route ${String(route.method)} ${route.url} names no operation of the kernel's catalogue (config.operation)`);
    }
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, operation });
  });
}

/** The data-plane routes registered on `app`, with the operation each performs. */
export function dataPlaneRoutes(app: FastifyInstance): readonly DataPlaneRoute[] {
  return routesOfApp.get(app) ?? [];
}
