/**
 * `GET /healthz`, for load balancers and orchestrators: no token, no api-version. 200 when this node can serve
 * key operations (its store answers and its key material is unlocked), 503 otherwise, with what is wrong; the
 * body names nothing secret (no URL, no host of the database).
 *
 * An instance awaiting activation (`--require-activation`, before its security domain is downloaded or
 * uploaded) is healthy with `keyMaterial: "awaiting-activation"`: it is the whole instance that waits, every node
 * alike, and a load balancer must keep routing to it, or the ceremony that activates it could not reach it.
 */
import type { FastifyInstance } from 'fastify';

export interface HealthReport {
  store: 'reachable' | 'unreachable';
  keyMaterial: 'unlocked' | 'locked' | 'awaiting-activation';
}

export function registerHealthRoutes(app: FastifyInstance, check: () => Promise<HealthReport>): void {
  app.get('/healthz', { config: { health: true } }, async (_request, reply) => {
    const report = await check();
    const healthy = report.store === 'reachable' && report.keyMaterial !== 'locked';
    if (!healthy) void reply.header('retry-after', '5');
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'healthy' : 'unhealthy', ...report });
  });
}

/** The report of a node: whether its store answers now, and whether its key-material root is unlocked. */
export async function nodeHealth(
  store: { checkHealth(): Promise<void> },
  keyMaterial: () => HealthReport['keyMaterial'],
): Promise<HealthReport> {
  const reachable = await store.checkHealth().then(() => true, () => false);
  return { store: reachable ? 'reachable' : 'unreachable', keyMaterial: keyMaterial() };
}
