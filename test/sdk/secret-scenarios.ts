/**
 * The secrets API driven by the unmodified SecretClient, every method, on `https://localhost:PORT` (challenge
 * resource verification off) and on `https://myvault.vault.localhost:PORT` (on, as against Azure). Run by
 * secrets.test.ts (4.12, api-version 2026-04-01) and secrets-4.11.test.ts (4.11, 2025-07-01) alike.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { keyClientFor } from '../helpers/sdk.ts';
import { secretClientFor, type AnySecretClient, type SdkLine } from '../helpers/secret-clients.ts';

const poll = { intervalInMs: 20 };

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function statusOf(promise: Promise<unknown>): Promise<{ statusCode?: number; message?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode?: number; message?: string };
  }
  assert.fail('expected the call to fail');
}

export function describeSecretClient(line: SdkLine): void {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(async () => { await disposeServer(server); });

  for (const host of ['localhost', 'myvault.vault.localhost'] as const) {
    describe(`SecretClient ${line} on ${host}`, () => {
      let client: AnySecretClient;
      const name = (base: string) => `${base}-${host === 'localhost' ? 'a' : 'b'}`;
      before(() => { client = secretClientFor(server, line, host); });

      test('setSecret and getSecret (latest and by version), with contentType, tags and dates', async () => {
        // The SDK serializes dates with `| 0` (32-bit seconds), so the tests keep them before 2038.
        const notBefore = new Date(Date.UTC(2020, 0, 1));
        const expiresOn = new Date(Date.UTC(2037, 0, 1));
        const first = await client.setSecret(name('db-password'), 'hunter2', { contentType: 'text/plain', tags: { env: 'test' }, notBefore, expiresOn });
        assert.equal(first.name, name('db-password'));
        assert.equal(first.value, 'hunter2');
        assert.match(first.properties.version ?? '', /^[0-9a-f]{32}$/);
        assert.equal(first.properties.id, `${server.url(host)}/secrets/${name('db-password')}/${first.properties.version}`);
        assert.equal(first.properties.contentType, 'text/plain');
        assert.deepEqual(first.properties.tags, { env: 'test' });
        assert.equal(first.properties.enabled, true);
        assert.equal(first.properties.notBefore?.getTime(), notBefore.getTime());
        assert.equal(first.properties.expiresOn?.getTime(), expiresOn.getTime());
        assert.equal(first.properties.recoverableDays, 90);
        const second = await client.setSecret(name('db-password'), 'correct horse battery staple');
        assert.equal((await client.getSecret(name('db-password'))).value, 'correct horse battery staple');
        const old = await client.getSecret(name('db-password'), { version: first.properties.version ?? '' });
        assert.equal(old.value, 'hunter2');
        assert.equal(old.properties.contentType, 'text/plain');
        assert.notEqual(second.properties.version, first.properties.version);
      });

      test('any Unicode value round-trips: emoji, CJK, combining marks, NUL, and 25,600 bytes exactly', async () => {
        const values = ['🔐🗝️ 秘密の鍵 비밀 e\u0301 a\u0000b', '\u0000', '', '鍵'.repeat(25_600 / 3) + 'a'];
        for (const [index, value] of values.entries()) {
          await client.setSecret(name(`unicode-${index}`), value);
          assert.equal((await client.getSecret(name(`unicode-${index}`))).value, value, `value ${index}`);
        }
        assert.equal(Buffer.byteLength(values[3] ?? '', 'utf8'), 25_600);
        const tooLarge = await statusOf(client.setSecret(name('unicode-big'), 'x'.repeat(25_601)));
        assert.equal(tooLarge.statusCode, 400);
        assert.match(tooLarge.message ?? '', /25600 bytes/);
      });

      test('updateSecretProperties changes attributes, tags and contentType, never the value; a disabled secret is not read', async () => {
        const set = await client.setSecret(name('toggled'), 'v1');
        const version = set.properties.version ?? '';
        const updated = await client.updateSecretProperties(name('toggled'), version, { enabled: false, contentType: 'application/json', tags: { a: 'b' } });
        assert.equal(updated.enabled, false);
        assert.equal(updated.contentType, 'application/json');
        assert.deepEqual(updated.tags, { a: 'b' });
        const refused = await statusOf(client.getSecret(name('toggled')));
        assert.equal(refused.statusCode, 403);
        assert.equal(refused.message, 'Operation get is not allowed on a disabled secret.');
        await client.updateSecretProperties(name('toggled'), version, { enabled: true });
        const read = await client.getSecret(name('toggled'));
        assert.equal(read.value, 'v1');
        assert.equal(read.properties.contentType, 'application/json');
      });

      test('an expired or not-yet-valid secret is not read', async () => {
        await client.setSecret(name('expired'), 'old', { expiresOn: new Date(Date.UTC(2001, 0, 1)) });
        assert.equal((await statusOf(client.getSecret(name('expired')))).statusCode, 403);
        await client.setSecret(name('future'), 'later', { notBefore: new Date(Date.UTC(2037, 0, 1)) });
        assert.equal((await statusOf(client.getSecret(name('future')))).statusCode, 403);
      });

      test('listPropertiesOfSecrets and listPropertiesOfSecretVersions page without values', async () => {
        for (let index = 0; index < 4; index++) await client.setSecret(name(`listed-${index}`), `value-${index}`);
        for (let index = 0; index < 3; index++) await client.setSecret(name('versioned'), `v${index}`);
        const pages = await collect(client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 }));
        assert.ok(pages.length >= 2);
        const all = pages.flat();
        const listed = all.filter((item) => item.name.startsWith('listed-') && item.name.endsWith(host === 'localhost' ? '-a' : '-b'));
        assert.equal(listed.length, 4);
        for (const item of all) assert.equal((item as { value?: unknown }).value, undefined);
        const versions = await collect(client.listPropertiesOfSecretVersions(name('versioned')).byPage({ maxPageSize: 2 }));
        assert.equal(versions.flat().length, 3);
        assert.ok(versions.flat().every((item) => /^[0-9a-f]{32}$/.test(item.version ?? '')));
        assert.deepEqual(await collect(client.listPropertiesOfSecretVersions(name('never-set'))), []);
      });

      test('beginDeleteSecret, getDeletedSecret, listDeletedSecrets, beginRecoverDeletedSecret, purgeDeletedSecret', async () => {
        await client.setSecret(name('doomed'), 'bye');
        const deleted = await (await client.beginDeleteSecret(name('doomed'), poll)).pollUntilDone();
        assert.equal(deleted.name, name('doomed'));
        assert.equal(deleted.recoveryId, `${server.url(host)}/deletedsecrets/${name('doomed')}`);
        assert.ok(deleted.deletedOn instanceof Date);
        assert.ok((deleted.scheduledPurgeDate?.getTime() ?? 0) > Date.now());
        assert.equal((await statusOf(client.getSecret(name('doomed')))).statusCode, 404);
        const conflict = await statusOf(client.setSecret(name('doomed'), 'again'));
        assert.equal(conflict.statusCode, 409);
        assert.match(conflict.message ?? '', /deleted but recoverable/);
        assert.equal((await client.getDeletedSecret(name('doomed'))).name, name('doomed'));
        const listed = await collect(client.listDeletedSecrets());
        assert.ok(listed.some((item) => item.name === name('doomed')));
        const recovered = await (await client.beginRecoverDeletedSecret(name('doomed'), poll)).pollUntilDone();
        assert.equal(recovered.name, name('doomed'));
        assert.equal((await client.getSecret(name('doomed'))).value, 'bye');
        await (await client.beginDeleteSecret(name('doomed'), poll)).pollUntilDone();
        await client.purgeDeletedSecret(name('doomed'));
        assert.equal((await statusOf(client.getDeletedSecret(name('doomed')))).statusCode, 404);
        await client.setSecret(name('doomed'), 'reborn');
        assert.equal((await client.getSecret(name('doomed'))).value, 'reborn');
      });

      test('backupSecret and restoreSecretBackup carry every version; an existing name is 409', async () => {
        await client.setSecret(name('kept'), 'first', { tags: { t: '1' } });
        await client.setSecret(name('kept'), 'second');
        const backup = await client.backupSecret(name('kept'));
        assert.ok(backup instanceof Uint8Array && backup.length > 0);
        assert.ok(!Buffer.from(backup).toString('latin1').includes('second'));
        assert.equal((await statusOf(client.restoreSecretBackup(backup))).statusCode, 409);
        await (await client.beginDeleteSecret(name('kept'), poll)).pollUntilDone();
        await client.purgeDeletedSecret(name('kept'));
        const restored = await client.restoreSecretBackup(backup);
        assert.equal(restored.name, name('kept'));
        assert.equal((await client.getSecret(name('kept'))).value, 'second');
        assert.equal((await collect(client.listPropertiesOfSecretVersions(name('kept')))).length, 2);
      });

      test('names compare case-insensitively and keep their first spelling', async () => {
        await client.setSecret(name('CamelName'), 'one');
        const again = await client.setSecret(name('camelname').toUpperCase(), 'two');
        assert.equal(again.name, name('CamelName'));
        assert.equal((await client.getSecret(name('cAMELnAME'))).value, 'two');
      });

      test('a key and a secret of the same name coexist, each with its own soft delete', async () => {
        const keys = keyClientFor(server, host);
        await keys.createEcKey(name('shared-name'));
        await client.setSecret(name('shared-name'), 'not a key');
        await (await client.beginDeleteSecret(name('shared-name'), poll)).pollUntilDone();
        assert.equal((await keys.getKey(name('shared-name'))).name, name('shared-name'));
        await client.purgeDeletedSecret(name('shared-name'));
        await (await keys.beginDeleteKey(name('shared-name'), poll)).pollUntilDone();
        await client.setSecret(name('shared-name'), 'a secret again');
        assert.equal((await client.getSecret(name('shared-name'))).value, 'a secret again');
        assert.equal((await keys.getDeletedKey(name('shared-name'))).name, name('shared-name'));
      });
    });
  }
}
