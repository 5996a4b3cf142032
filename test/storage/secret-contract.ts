/**
 * The storage contract of secrets, run by store-contract.test.ts on every backend: versions (latest, by id,
 * case-insensitive names keeping their first spelling), paging in order, conditional updates, soft delete holding
 * the name, recover, purge, expiry purges, a whole secret for a backup, rollback, concurrent writers, and the
 * separation from keys (a key and a secret of one name, each deleted and purged on its own).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SecretVersion } from '../../src/domain/secrets/secret-model.ts';
import { ConcurrentChangeError } from '../../src/storage/store-errors.ts';
import type { Store } from '../../src/storage/store.ts';
import { keyVersion } from '../helpers/key-versions.ts';

const id = (n: number) => n.toString(16).padStart(32, '0');

function secret(name: string, n: number, overrides: Partial<SecretVersion> = {}): SecretVersion {
  return {
    name,
    version: id(n),
    contentType: n % 2 === 0 ? 'text/plain' : undefined,
    attributes: { enabled: true, created: n * 10, updated: n * 10 },
    tags: undefined,
    sealedValue: Buffer.from(`sealed-${name}-${n}`),
    rowVersion: 0,
    ...overrides,
  };
}

export function describeSecretContract(open: () => Store): void {
  describe('secrets', () => {
    const add = (store: Store, record: SecretVersion) => store.transaction((unit) => unit.secrets.addSecretVersion(record));

    test('versions: latest, by id (any case), case-insensitive names that keep their first spelling', async () => {
      const store = open();
      assert.equal(await add(store, secret('CamelCase', 1, { tags: { a: 'b' }, attributes: { enabled: false, nbf: 5, exp: 50, created: 1, updated: 2 } })), 'added');
      assert.equal(await add(store, secret('camelcase', 2)), 'added');
      const latest = await store.reader.secrets.getSecretVersion('CAMELCASE');
      assert.equal(latest?.name, 'CamelCase');
      assert.equal(latest?.version, id(2));
      assert.equal(latest?.contentType, 'text/plain');
      assert.equal(latest?.rowVersion, 1);
      assert.ok(Buffer.isBuffer(latest?.sealedValue));
      assert.deepEqual(latest?.sealedValue, Buffer.from('sealed-camelcase-2'));
      const first = await store.reader.secrets.getSecretVersion('camelCASE', id(1).toUpperCase());
      assert.deepEqual(first, {
        name: 'CamelCase', version: id(1), contentType: undefined, tags: { a: 'b' },
        attributes: { enabled: false, nbf: 5, exp: 50, created: 1, updated: 2 }, sealedValue: Buffer.from('sealed-CamelCase-1'), rowVersion: 1,
      });
      assert.equal(await store.reader.secrets.getSecretVersion('camelcase', id(3)), undefined);
      assert.equal(await store.reader.secrets.getSecretVersion('nothing'), undefined);
      await assert.rejects(add(store, secret('CAMELCASE', 1)), 'a version id is unique within a secret');
      await store.close();
    });

    test('listings page in order: secrets by lower-cased name (latest version, no value), versions oldest first', async () => {
      const store = open();
      for (const [n, name] of ['b', 'A', 'c', 'D', 'e'].entries()) await add(store, secret(name, n + 1));
      await add(store, secret('a', 10, { tags: { latest: 'yes' } }));
      const first = await store.reader.secrets.listSecrets({ limit: 2 });
      assert.deepEqual(first.items.map((item) => item.name), ['A', 'b']);
      assert.equal(first.items[0]?.version, id(10));
      assert.deepEqual(first.items[0]?.tags, { latest: 'yes' });
      assert.equal((first.items[0] as Partial<SecretVersion>).sealedValue, undefined, 'listings carry no value');
      const second = await store.reader.secrets.listSecrets({ limit: 2, after: first.next });
      assert.deepEqual(second.items.map((item) => item.name), ['c', 'D']);
      const last = await store.reader.secrets.listSecrets({ limit: 2, after: second.next });
      assert.deepEqual(last.items.map((item) => item.name), ['e']);
      assert.equal(last.next, undefined);
      for (let n = 20; n < 25; n++) await add(store, secret('many', n));
      const versions = await store.reader.secrets.listSecretVersions('MANY', { limit: 3 });
      assert.deepEqual(versions?.items.map((item) => item.version), [id(20), id(21), id(22)]);
      const rest = await store.reader.secrets.listSecretVersions('many', { limit: 3, after: versions?.next });
      assert.deepEqual(rest?.items.map((item) => item.version), [id(23), id(24)]);
      assert.equal(rest?.next, undefined);
      assert.equal(await store.reader.secrets.listSecretVersions('none', { limit: 3 }), undefined);
      await store.close();
    });

    test('conditional updates: applied on the row version read, refused after a concurrent change; never the value', async () => {
      const store = open();
      await add(store, secret('s', 1, { attributes: { enabled: true, nbf: 5, exp: 50, created: 1, updated: 1 } }));
      const read = await store.reader.secrets.getSecretVersion('s');
      assert.ok(read !== undefined);
      const updated = await store.transaction((unit) =>
        unit.secrets.updateSecretVersion('S', read.version, read.rowVersion, { enabled: false, nbf: null, tags: { t: '1' }, contentType: 'application/json', updated: 7 }),
      );
      assert.equal(updated?.attributes.enabled, false);
      assert.equal(updated?.attributes.nbf, undefined, 'null clears');
      assert.equal(updated?.attributes.exp, 50, 'absent stays');
      assert.equal(updated?.attributes.updated, 7);
      assert.equal(updated?.contentType, 'application/json');
      assert.deepEqual(updated?.tags, { t: '1' });
      assert.deepEqual(updated?.sealedValue, read.sealedValue);
      assert.equal(updated?.rowVersion, read.rowVersion + 1);
      await assert.rejects(
        store.transaction((unit) => unit.secrets.updateSecretVersion('s', read.version, read.rowVersion, { enabled: true, updated: 8 })),
        ConcurrentChangeError,
      );
      assert.equal((await store.reader.secrets.getSecretVersion('s'))?.attributes.enabled, false, 'the stale update left nothing');
      assert.equal(await store.transaction((unit) => unit.secrets.updateSecretVersion('s', id(9), 1, { updated: 9 })), undefined);
      await store.close();
    });

    test('soft delete holds the name; recover; purge; deleted listings page by name', async () => {
      const store = open();
      await add(store, secret('Gone', 1));
      await add(store, secret('gone', 2));
      await add(store, secret('other', 3));
      const deleted = await store.transaction((unit) => unit.secrets.deleteSecret('GONE', { deletedDate: 10, scheduledPurgeDate: 20 }));
      assert.equal(deleted?.name, 'Gone');
      assert.equal(deleted?.version, id(2));
      assert.deepEqual(deleted?.deletion, { deletedDate: 10, scheduledPurgeDate: 20 });
      assert.equal(await store.transaction((unit) => unit.secrets.deleteSecret('gone', { deletedDate: 11, scheduledPurgeDate: 21 })), undefined);
      assert.equal(await store.reader.secrets.getSecretVersion('gone'), undefined);
      assert.equal(await store.reader.secrets.listSecretVersions('gone', { limit: 5 }), undefined);
      assert.deepEqual((await store.reader.secrets.listSecrets({ limit: 5 })).items.map((item) => item.name), ['other']);
      assert.equal(await add(store, secret('GONE', 3)), 'name-is-deleted');
      assert.equal(await store.transaction((unit) => unit.secrets.updateSecretVersion('gone', id(2), 1, { updated: 1 })), undefined);
      assert.equal((await store.reader.secrets.getDeletedSecret('gOnE'))?.version, id(2));
      const listed = await store.reader.secrets.listDeletedSecrets({ limit: 5 });
      assert.deepEqual(listed.items.map((item) => [item.name, item.deletion.scheduledPurgeDate]), [['Gone', 20]]);
      assert.equal(await store.transaction((unit) => unit.secrets.recoverDeletedSecret('other')), undefined);
      const recovered = await store.transaction((unit) => unit.secrets.recoverDeletedSecret('gone'));
      assert.equal(recovered?.version, id(2));
      assert.equal(await store.reader.secrets.getDeletedSecret('gone'), undefined);
      assert.equal(await store.transaction((unit) => unit.secrets.purgeDeletedSecret('gone')), false, 'an active secret is not purged');
      await store.transaction((unit) => unit.secrets.deleteSecret('gone', { deletedDate: 30, scheduledPurgeDate: 40 }));
      assert.equal(await store.transaction((unit) => unit.secrets.purgeDeletedSecret('GONE')), true);
      assert.equal(await store.reader.secrets.getDeletedSecret('gone'), undefined);
      assert.equal(await store.reader.secrets.getSecretWithVersions('gone'), undefined);
      assert.equal(await add(store, secret('gone', 5)), 'added', 'a purged name is free');
      assert.equal((await store.reader.secrets.getSecretVersion('GONE'))?.name, 'gone', 'a new secret, a new first spelling');
      await store.close();
    });

    test('expired deleted secrets are purged at their scheduled date, not before; sorted names returned', async () => {
      const store = open();
      for (const [n, name] of ['Zeta', 'alpha', 'Mid', 'late'].entries()) await add(store, secret(name, n + 1));
      for (const name of ['Zeta', 'alpha', 'Mid']) await store.transaction((unit) => unit.secrets.deleteSecret(name, { deletedDate: 1, scheduledPurgeDate: 100 }));
      await store.transaction((unit) => unit.secrets.deleteSecret('late', { deletedDate: 1, scheduledPurgeDate: 200 }));
      assert.deepEqual(await store.transaction((unit) => unit.secrets.purgeExpiredSecrets(99)), []);
      assert.deepEqual(await store.transaction((unit) => unit.secrets.purgeExpiredSecrets(100)), ['alpha', 'Mid', 'Zeta']);
      assert.deepEqual((await store.reader.secrets.listDeletedSecrets({ limit: 5 })).items.map((item) => item.name), ['late']);
      await store.close();
    });

    test('a whole secret for a backup: every version with its sealed value, oldest first, active or soft-deleted', async () => {
      const store = open();
      await add(store, secret('Whole', 1));
      await add(store, secret('whole', 2));
      const whole = await store.reader.secrets.getSecretWithVersions('WHOLE');
      assert.equal(whole?.name, 'Whole');
      assert.deepEqual(whole?.versions.map((v) => [v.version, v.sealedValue.toString()]), [[id(1), 'sealed-Whole-1'], [id(2), 'sealed-whole-2']]);
      assert.equal(whole?.deletion, undefined);
      await store.transaction((unit) => unit.secrets.deleteSecret('whole', { deletedDate: 3, scheduledPurgeDate: 4 }));
      assert.deepEqual((await store.reader.secrets.getSecretWithVersions('whole'))?.deletion, { deletedDate: 3, scheduledPurgeDate: 4 });
      assert.equal(await store.reader.secrets.getSecretWithVersions('none'), undefined);
      await store.close();
    });

    test('a unit that fails leaves no secret behind; a unit reads its own writes', async () => {
      const store = open();
      await assert.rejects(store.transaction(async (unit) => {
        await unit.secrets.addSecretVersion(secret('rolled', 1));
        assert.equal((await unit.secrets.getSecretVersion('ROLLED'))?.version, id(1));
        throw new Error('boom');
      }), /boom/);
      assert.equal(await store.reader.secrets.getSecretVersion('rolled'), undefined);
      assert.equal(await store.reader.secrets.getSecretWithVersions('rolled'), undefined);
      await store.close();
    });

    test('concurrent writers of one name get distinct versions, none lost; concurrent deletes: exactly one wins', async () => {
      const store = open();
      await Promise.all(Array.from({ length: 20 }, (_, n) => add(store, secret('busy', n + 1))));
      const versions = await store.reader.secrets.listSecretVersions('busy', { limit: 25 });
      assert.equal(new Set(versions?.items.map((item) => item.version)).size, 20);
      const outcomes = await Promise.all(Array.from({ length: 5 }, (_, n) =>
        store.transaction((unit) => unit.secrets.deleteSecret('BUSY', { deletedDate: n, scheduledPurgeDate: 100 + n })).catch((error: unknown) => error)));
      assert.equal(outcomes.filter((outcome) => outcome !== undefined && !(outcome instanceof Error)).length, 1);
      await store.close();
    });

    test('keys and secrets are separate namespaces: one name, each deleted and purged on its own', async () => {
      const store = open();
      await store.transaction((unit) => unit.keys.addKeyVersion(keyVersion('twin', 1)));
      await add(store, secret('Twin', 1));
      await store.transaction((unit) => unit.keys.deleteKey('twin', { deletedDate: 1, scheduledPurgeDate: 2 }));
      assert.equal((await store.reader.secrets.getSecretVersion('twin'))?.name, 'Twin');
      assert.equal(await store.reader.secrets.getDeletedSecret('twin'), undefined);
      await store.transaction((unit) => unit.secrets.deleteSecret('twin', { deletedDate: 1, scheduledPurgeDate: 2 }));
      assert.deepEqual(await store.transaction((unit) => unit.keys.purgeExpiredKeys(5)), ['twin']);
      assert.equal((await store.reader.secrets.getDeletedSecret('twin'))?.name, 'Twin', 'purging keys leaves secrets');
      await store.transaction((unit) => unit.keys.addKeyVersion(keyVersion('twin', 2)));
      assert.deepEqual(await store.transaction((unit) => unit.secrets.purgeExpiredSecrets(5)), ['Twin']);
      assert.ok((await store.reader.keys.getKeyVersion('twin')) !== undefined, 'purging secrets leaves keys');
      await store.close();
    });
  });
}
