/**
 * The real `@azure/keyvault-keys` KeyClient against bundles that carry Strongroom's extra attributes (`trusted`,
 * `wrapWithTrusted`): it ignores members it does not know, so every method still works, and the values are there
 * in the raw response for a caller who looks. And an object limit reached surfaces in the SDK as the RestError
 * of a 409 Conflict with the limit's message, not as a crash or a retry loop.
 */
import assert from 'node:assert/strict';
import { RestError } from '@azure/core-rest-pipeline';
import { after, before, test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { keyClientFor } from '../helpers/sdk.ts';

let server: TestServer;

before(async () => {
  server = await startServer({ args: ['--max-keys', '3'] });
});
after(() => disposeServer(server));

test('createKey, getKey, updateKeyProperties, listing and the delete poller work with the extra attributes', async () => {
  const client = keyClientFor(server);
  let raw: Record<string, unknown> | undefined;
  const created = await client.createEcKey('sdk-extra', { curve: 'P-256', onResponse: (response) => { raw = JSON.parse(response.bodyAsText ?? '{}'); } });
  assert.equal(created.properties.enabled, true);
  assert.deepEqual([(raw?.['attributes'] as Record<string, unknown>)['trusted'], (raw?.['attributes'] as Record<string, unknown>)['wrapWithTrusted']], [false, true]);
  const fetched = await client.getKey('sdk-extra');
  assert.equal(fetched.id, created.id);
  assert.equal(fetched.properties.exportable, false);
  const updated = await client.updateKeyProperties('sdk-extra', fetched.properties.version ?? '', { tags: { via: 'sdk' } });
  assert.deepEqual(updated.properties.tags, { via: 'sdk' });
  const names: string[] = [];
  for await (const properties of client.listPropertiesOfKeys()) names.push(properties.name);
  assert.ok(names.includes('sdk-extra'));
  // An administrator marks it trusted over REST; the SDK still reads it.
  const api = apiClient(server, await accessToken(server));
  assert.equal((await api.patch('/keys/sdk-extra', { attributes: { trusted: true } })).status, 200);
  assert.equal((await client.getKey('sdk-extra')).name, 'sdk-extra');
  const poller = await client.beginDeleteKey('sdk-extra', { intervalInMs: 10 });
  await poller.pollUntilDone();
  await client.purgeDeletedKey('sdk-extra');
});

test('past --max-keys, createKey rejects with the 409 naming the limit', async () => {
  const client = keyClientFor(server);
  for (const name of ['one', 'two', 'three']) await client.createEcKey(name, { curve: 'P-256' });
  await assert.rejects(client.createEcKey('four', { curve: 'P-256' }), (error: unknown) => {
    assert.ok(error instanceof RestError);
    assert.equal(error.statusCode, 409);
    assert.equal(error.code, 'Conflict');
    assert.match(error.message, /The number of keys \(3\) in this HSM has reached its limit/);
    return true;
  });
});
