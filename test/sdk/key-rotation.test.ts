/**
 * Rotation through the unmodified `@azure/keyvault-keys` KeyClient: `rotateKey`, `getKeyRotationPolicy` (also of a
 * key without a policy) and `updateKeyRotationPolicy`, on a bare host and on a vault-style host name; the SDK's own
 * errors for a missing key and an invalid policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KeyClient } from '@azure/keyvault-keys';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { keyClientFor } from '../helpers/sdk.ts';

const DAY_MS = 86_400_000;
let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await disposeServer(server); });

for (const host of ['localhost', 'myvault.vault.localhost'] as const) {
  describe(`rotation through the SDK on ${host}`, () => {
    let client: KeyClient;
    const name = (base: string) => `${base}-${host === 'localhost' ? 'a' : 'b'}`;
    before(() => { client = keyClientFor(server, host); });

    test('updateKeyRotationPolicy, getKeyRotationPolicy, then rotateKey with exp from expiresIn', async () => {
      const keyName = name('sdk-rotating');
      const original = await client.createEcKey(keyName, { curve: 'P-384', tags: { owner: 'sdk' } });
      const empty = await client.getKeyRotationPolicy(keyName);
      assert.equal(empty.id, `${server.url(host)}/keys/${keyName}/rotationpolicy`);
      assert.deepEqual(empty.lifetimeActions ?? [], []);
      const updated = await client.updateKeyRotationPolicy(keyName, {
        expiresIn: 'P90D',
        lifetimeActions: [
          { action: 'Rotate', timeAfterCreate: 'P30D' },
          { action: 'Notify', timeBeforeExpiry: 'P10D' },
        ],
      });
      assert.equal(updated.expiresIn, 'P90D');
      assert.deepEqual(updated.lifetimeActions, [
        { action: 'Rotate', timeAfterCreate: 'P30D', timeBeforeExpiry: undefined },
        { action: 'Notify', timeAfterCreate: undefined, timeBeforeExpiry: 'P10D' },
      ]);
      assert.ok(updated.createdOn instanceof Date && updated.updatedOn instanceof Date);
      const read = await client.getKeyRotationPolicy(keyName);
      assert.deepEqual(read, updated);

      const rotated = await client.rotateKey(keyName);
      assert.notEqual(rotated.properties.version, original.properties.version);
      assert.deepEqual([rotated.keyType, rotated.key?.crv, rotated.keyOperations, rotated.properties.tags], ['EC-HSM', 'P-384', original.keyOperations, { owner: 'sdk' }]);
      const created = rotated.properties.createdOn?.getTime() ?? 0;
      assert.equal(rotated.properties.expiresOn?.getTime(), created + 90 * DAY_MS);
      assert.equal((await client.getKey(keyName)).properties.version, rotated.properties.version);
    });

    test('a missing key and an invalid policy are the SDK\'s RestErrors', async () => {
      await assert.rejects(client.rotateKey(name('sdk-missing')), (error: { statusCode?: number; code?: string }) => error.statusCode === 404 && error.code === 'KeyNotFound');
      await assert.rejects(client.getKeyRotationPolicy(name('sdk-missing')), (error: { statusCode?: number }) => error.statusCode === 404);
      await client.createRsaKey(name('sdk-invalid'));
      await assert.rejects(
        client.updateKeyRotationPolicy(name('sdk-invalid'), { expiresIn: 'P7D', lifetimeActions: [] }),
        (error: { statusCode?: number; code?: string; message: string }) => error.statusCode === 400 && error.code === 'BadParameter' && /28 days/.test(error.message),
      );
    });
  });
}
