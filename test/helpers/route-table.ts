/**
 * The data-plane route table of the real app (every route with the operation it performs), built in-process
 * over a memory store, for tests that walk every route: the catalogue check, the authorization matrix.
 */
import { buildApp } from '../../src/app.ts';
import { defaultConfig } from '../../src/config/config.ts';
import { createSigningKey, describeSigningKey, TokenService } from '../../src/domain/identity/token-service.ts';
import { dataPlaneRoutes, type DataPlaneRoute } from '../../src/http/route-operations.ts';
import { MemoryStore } from '../../src/storage/memory/memory-store.ts';
import { createCertificateAuthority, issueServerCertificate } from '../../src/tls/certificates.ts';
import { kernelFor } from './kernel.ts';

export async function inProcessApp() {
  const store = new MemoryStore();
  const { kernel } = kernelFor(store);
  const tokens = new TokenService({
    signingKey: await describeSigningKey(createSigningKey()),
    tenantId: 'tenant',
    lifetimeSeconds: 3600,
    isOwnHost: () => true,
    isActivePrincipal: async () => true,
  });
  const tls = await issueServerCertificate(await createCertificateAuthority(), ['localhost']);
  return buildApp(
    { kernel, clock: () => 0, tokens, principals: store.reader.principals, managedIdentityKey: () => Buffer.alloc(32), health: async () => ({ store: 'reachable', keyMaterial: 'unlocked' }) },
    { tls, logLevel: 'silent', limits: defaultConfig() },
  );
}

/** Every data-plane route (method, URL pattern, operation). */
export async function dataPlaneRouteTable(): Promise<readonly DataPlaneRoute[]> {
  const app = await inProcessApp();
  await app.ready();
  const routes = [...dataPlaneRoutes(app)];
  await app.close();
  return routes;
}
