/**
 * `KeyClient.backupKey` / `restoreKeyBackup` of the unmodified `@azure/keyvault-keys` SDK: a backup restores
 * every version with its attributes and tags after the key was deleted and purged, and the restored key signs
 * with the same private key. Restoring over a name in use is the SDK's RestError 409.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { after, before, test } from 'node:test';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { cryptographyClientFor, keyClientFor } from '../helpers/sdk.ts';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await disposeServer(server); });

test('backupKey, delete, purge, restoreKeyBackup: every version comes back and signs as before', async () => {
  const client = keyClientFor(server);
  const first = await client.createRsaKey('sdk-backup', { keySize: 2048 });
  const second = await client.createRsaKey('sdk-backup', { keySize: 2048, tags: { purpose: 'backup test' }, expiresOn: new Date('2031-01-01T00:00:00Z') });
  const backup = await client.backupKey('sdk-backup');
  assert.ok(backup instanceof Uint8Array && backup.length > 100);

  await (await client.beginDeleteKey('sdk-backup', { intervalInMs: 20 })).pollUntilDone();
  await client.purgeDeletedKey('sdk-backup');
  const restored = await client.restoreKeyBackup(backup);
  assert.equal(restored.id, second.id);
  assert.deepEqual(restored.properties.tags, { purpose: 'backup test' });
  assert.equal(restored.properties.expiresOn?.toISOString(), '2031-01-01T00:00:00.000Z');
  const versions: string[] = [];
  for await (const properties of client.listPropertiesOfKeyVersions('sdk-backup')) versions.push(properties.version ?? '');
  assert.deepEqual(versions.toSorted(), [first.properties.version, second.properties.version].toSorted());

  const message = randomBytes(64);
  const { result } = await cryptographyClientFor(server, first.id ?? '').sign('RS256', createHash('sha256').update(message).digest());
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: Buffer.from(first.key?.n ?? []).toString('base64url'), e: Buffer.from(first.key?.e ?? []).toString('base64url') }, format: 'jwk' });
  assert.ok(verify('sha256', message, publicKey, result), 'the restored first version signs with its original private key');

  await assert.rejects(client.restoreKeyBackup(backup), { statusCode: 409 });
});
