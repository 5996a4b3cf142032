/**
 * The operation catalogue against the HTTP app: every data-plane route names an operation, and every operation
 * of the catalogue has a route or a documented caller that is not HTTP. A route that names no operation cannot
 * even be registered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NON_HTTP_CALLERS, OPERATIONS, type OperationName } from '../../../src/domain/kernel/catalogue.ts';
import { DataActions } from '../../../src/domain/rbac/data-actions.ts';
import { dataPlaneRoutes } from '../../../src/http/route-operations.ts';
import { inProcessApp } from '../../helpers/route-table.ts';

const app = inProcessApp;

test('every operation has a route, or a caller that is not HTTP and is documented', async () => {
  const instance = await app();
  await instance.ready();
  const routed = new Set(dataPlaneRoutes(instance).map((route) => route.operation));
  for (const name of Object.keys(OPERATIONS) as OperationName[]) {
    assert.ok(routed.has(name) || NON_HTTP_CALLERS[name] !== undefined, `${name} has no route and no documented caller`);
    assert.ok(!(routed.has(name) && NON_HTTP_CALLERS[name] !== undefined), `${name} is routed and listed as non-HTTP`);
  }
  await instance.close();
});

test('every data-plane route names an operation of the catalogue; a route without one is refused', async () => {
  const instance = await app();
  const routes = dataPlaneRoutes(instance);
  assert.ok(routes.length >= 20, `found ${routes.length} routes`);
  assert.throws(() => instance.get('/keys/:name/backdoor', async () => ({})), /names no operation/);
  assert.throws(() => instance.post('/rng2', { config: { operation: 'noSuchOperation' as OperationName } }, async () => ({})), /names no operation/);
  await instance.close();
});

test('each operation declares a known data action, a scope, and is named after its table key', () => {
  const known = new Set<string>(Object.values(DataActions));
  for (const [key, operation] of Object.entries(OPERATIONS)) {
    assert.ok(known.has(operation.dataAction), `${key}: ${operation.dataAction}`);
    assert.equal(operation.name, key, key);
    assert.match(operation.scope({ name: 'k1', scope: '/', page: { limit: 1 }, count: 1 } as never), /^\/((keys|secrets)(\/k1)?)?$/);
  }
});
