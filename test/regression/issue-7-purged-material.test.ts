/**
 * Issue 7 #8: a purged key's sealed material stayed in the SQLite WAL until some later checkpoint. Now a purge
 * (by request or by the retention job) checkpoints: afterwards neither the database file nor its WAL holds the
 * sealed blob, in any encoding.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { OPERATIONS } from '../../src/domain/kernel/catalogue.ts';
import { systemContext } from '../../src/domain/kernel/context.ts';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { kernelFor } from '../helpers/kernel.ts';

const dir = mkdtempSync(join(tmpdir(), 'strongroom-purge-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function filesHold(path: string, blob: Buffer): string[] {
  const forms = [blob, Buffer.from(blob.toString('hex')), Buffer.from(blob.toString('base64'))];
  return [path, `${path}-wal`]
    .filter((file) => existsSync(file))
    .filter((file) => forms.some((form) => readFileSync(file).includes(form.subarray(0, 48))));
}

for (const how of ['purgeDeletedKey', 'the retention job'] as const) {
  test(`after ${how}, the sealed material is in neither the database nor its WAL`, async () => {
    const path = join(dir, `${how.replaceAll(' ', '-')}.db`);
    const store = new SqliteStore(path);
    store.migrate();
    // A second connection reading now and then, as the other worker processes do.
    const other = new SqliteStore(path);
    const { kernel, admin, clock } = kernelFor(store, { retentionDays: 7 });
    await kernel.perform(admin, OPERATIONS.createKey, { name: 'doomed', request: { kty: 'RSA', key_size: 2048 } });
    const sealed = (await other.reader.keys.getKeyVersion('doomed'))?.sealedMaterial;
    assert.ok(sealed !== undefined);
    assert.deepEqual(filesHold(path, sealed).length > 0, true, 'the blob is on disk while the key exists');
    await kernel.perform(admin, OPERATIONS.deleteKey, { name: 'doomed' });
    if (how === 'purgeDeletedKey') {
      await kernel.perform(admin, OPERATIONS.purgeDeletedKey, { name: 'doomed' });
    } else {
      clock.now += 7 * 86_400;
      assert.deepEqual(await kernel.perform(systemContext('purge', () => clock.now), OPERATIONS.purgeExpiredKeys, {}), ['doomed']);
    }
    assert.deepEqual(filesHold(path, sealed), []);
    await Promise.all([store.close(), other.close()]);
  });
}
