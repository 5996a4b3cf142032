/**
 * The storage contract, one suite run unchanged against every backend (the in-memory store, SQLite and
 * PostgreSQL): every repository method, its errors (missing rows, conflicts, a failing write inside a unit),
 * case-insensitive names, paging order, leases, and concurrent writers.
 *
 * PostgreSQL: one server for this file (`STRONGROOM_TEST_STORE`'s, or one started by harness/postgres.ts), one
 * database migrated once as a template, and a fresh copy of it for each test. Where there is no PostgreSQL to
 * be had, the postgres tests fail, saying why.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { testPostgres, type TestPostgres } from '../../harness/postgres.ts';
import type { KeyVersion } from '../../src/domain/keys/key-model.ts';
import { MemoryStore } from '../../src/storage/memory/memory-store.ts';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { ConcurrentChangeError } from '../../src/storage/store-errors.ts';
import type { Store } from '../../src/storage/store.ts';
import { versionId, keyVersion as version } from '../helpers/key-versions.ts';
import { describeRotationContract } from './rotation-contract.ts';
import { describeSecretContract } from './secret-contract.ts';
import { describeObjectLimitsContract } from './object-limits-contract.ts';

const directories: string[] = [];
after(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

const postgres = await preparePostgres();
const postgresStores: PostgresStore[] = [];
after(async () => {
  for (const store of postgresStores) await store.close();
  if (!(postgres instanceof Error)) await postgres.server.close();
});

const backends: Record<string, () => Store> = {
  memory: () => new MemoryStore(),
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-contract-'));
    directories.push(dir);
    const store = new SqliteStore(join(dir, 'strongroom.db'));
    store.migrate();
    return store;
  },
  postgres: () => {
    if (postgres instanceof Error) throw postgres;
    const store = new PostgresStore({ url: postgres.server.createDatabaseSync({ template: postgres.template }).url });
    postgresStores.push(store);
    return store;
  },
};

async function preparePostgres(): Promise<{ server: TestPostgres; template: string } | Error> {
  try {
    const server = await testPostgres();
    const template = await server.createDatabase();
    const store = new PostgresStore({ url: template.url, listen: false });
    await store.migrate();
    await store.close();
    return { server, template: template.name };
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}


for (const [backend, open] of Object.entries(backends)) {
  describe(`the ${backend} store`, () => {
    describeRotationContract(open);
    describeSecretContract(open);
    describeObjectLimitsContract(open);
    const add = (store: Store, record: KeyVersion) => store.transaction((unit) => unit.keys.addKeyVersion(record));

    test('versions: latest, by id, case-insensitive names that keep their first spelling', async () => {
      const store = open();
      assert.equal(await add(store, version('CamelCase', 1, { tags: { a: 'b' } })), 'added');
      assert.equal(await add(store, version('camelcase', 2)), 'added');
      const latest = await store.reader.keys.getKeyVersion('CAMELCASE');
      assert.equal(latest?.name, 'CamelCase');
      assert.equal(latest?.version, versionId(2));
      assert.equal(latest?.rowVersion, 1);
      const first = await store.reader.keys.getKeyVersion('camelCase', versionId(1).toUpperCase());
      assert.deepEqual(first?.tags, { a: 'b' });
      assert.deepEqual(first?.sealedMaterial, Buffer.from([1]));
      assert.equal(await store.reader.keys.getKeyVersion('camelcase', versionId(9)), undefined);
      assert.equal(await store.reader.keys.getKeyVersion('nobody'), undefined);
      await store.close();
    });

    test('listings page in order: keys by lower-cased name, versions oldest first', async () => {
      const store = open();
      for (const name of ['b-key', 'A-key', 'c-key', 'a2']) await add(store, version(name, name.length));
      for (let n = 10; n < 15; n++) await add(store, version('b-key', n));
      const first = await store.reader.keys.listKeys({ limit: 3 });
      assert.deepEqual(first.items.map((item) => item.name), ['a2', 'A-key', 'b-key'].sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1)));
      const rest = await store.reader.keys.listKeys({ limit: 3, after: first.next });
      assert.deepEqual(rest.items.map((item) => item.name), ['c-key']);
      assert.equal(rest.next, undefined);
      assert.equal(first.items.find((item) => item.name === 'b-key')?.version, versionId(14), 'a key is listed by its latest version');
      const versions = await store.reader.keys.listKeyVersions('B-KEY', { limit: 4 });
      assert.deepEqual(versions?.items.map((item) => item.version), [5, 10, 11, 12].map(versionId));
      const more = await store.reader.keys.listKeyVersions('b-key', { limit: 4, after: versions?.next });
      assert.deepEqual(more?.items.map((item) => item.version), [13, 14].map(versionId));
      assert.equal(await store.reader.keys.listKeyVersions('nobody', { limit: 4 }), undefined);
      await store.close();
    });

    test('a whole key for a backup: every version with its material, oldest first, active or soft-deleted', async () => {
      const store = open();
      await add(store, version('Whole', 1, { tags: { n: '1' } }));
      await add(store, version('whole', 2));
      const active = await store.reader.keys.getKeyWithVersions('WHOLE');
      assert.equal(active?.name, 'Whole');
      assert.equal(active?.deletion, undefined);
      assert.deepEqual(active?.versions.map((v) => v.version), [1, 2].map(versionId));
      assert.deepEqual(active?.versions[0]?.tags, { n: '1' });
      assert.deepEqual(active?.versions[0]?.sealedMaterial, Buffer.from([1]));
      await store.transaction((unit) => unit.keys.deleteKey('whole', { deletedDate: 10, scheduledPurgeDate: 20 }));
      const deleted = await store.reader.keys.getKeyWithVersions('whole');
      assert.deepEqual(deleted?.deletion, { deletedDate: 10, scheduledPurgeDate: 20 });
      assert.equal(deleted?.versions.length, 2);
      assert.equal(await store.reader.keys.getKeyWithVersions('nobody'), undefined);
      await store.close();
    });

    test('role definitions and assignments: put, list in name order, duplicates refused, delete', async () => {
      const store = open();
      const definition = {
        name: '0a1b2c3d-0000-4000-8000-000000000001', roleName: 'Signer', description: 'signs', type: 'CustomRole' as const,
        permissions: [{ actions: [], notActions: [], dataActions: ['Microsoft.KeyVault/managedHsm/keys/sign/action'], notDataActions: [] }],
        assignableScopes: ['/'],
      };
      await store.transaction((unit) => unit.roles.putRoleDefinition(definition));
      await store.transaction((unit) => unit.roles.putRoleDefinition({ ...definition, description: 'replaced' }));
      assert.equal((await store.reader.roles.getRoleDefinition(definition.name.toUpperCase()))?.description, 'replaced');
      assert.equal((await store.reader.roles.listRoleDefinitions()).length, 1);
      const assignment = (name: string, principalId: string, scope = '/keys/k1') => ({ name, scope, roleDefinitionName: definition.name, principalId });
      assert.equal(await store.transaction((unit) => unit.roles.addRoleAssignment(assignment('b0000000-0000-4000-8000-000000000002', 'p1'))), 'added');
      assert.equal(await store.transaction((unit) => unit.roles.addRoleAssignment(assignment('a0000000-0000-4000-8000-000000000001', 'p2', '/'))), 'added');
      assert.equal(await store.transaction((unit) => unit.roles.addRoleAssignment(assignment('b0000000-0000-4000-8000-000000000002', 'p3'))), 'name-taken');
      assert.equal(await store.transaction((unit) => unit.roles.addRoleAssignment(assignment('c0000000-0000-4000-8000-000000000003', 'p1'))), 'duplicate');
      assert.deepEqual((await store.reader.roles.listRoleAssignments()).map((a) => a.principalId), ['p2', 'p1']);
      assert.deepEqual((await store.reader.roles.listRoleAssignments({ principalId: 'p1' })).map((a) => a.scope), ['/keys/k1']);
      assert.equal(await store.transaction((unit) => unit.roles.isRoleAssigned(definition.name)), true);
      assert.equal((await store.transaction((unit) => unit.roles.deleteRoleAssignment('B0000000-0000-4000-8000-000000000002')))?.principalId, 'p1');
      assert.equal(await store.transaction((unit) => unit.roles.deleteRoleAssignment('b0000000-0000-4000-8000-000000000002')), undefined);
      assert.equal(await store.reader.roles.getRoleAssignment('b0000000-0000-4000-8000-000000000002'), undefined);
      assert.equal((await store.transaction((unit) => unit.roles.deleteRoleDefinition(definition.name)))?.roleName, 'Signer');
      assert.equal(await store.reader.roles.getRoleDefinition(definition.name), undefined);
      await store.close();
    });

    test('conditional updates: applied on the row version read, refused after a concurrent change', async () => {
      const store = open();
      await add(store, version('k', 1, { attributes: { enabled: true, exportable: false, nbf: 5, exp: 50, created: 1, updated: 1 } }));
      const read = await store.reader.keys.getKeyVersion('k');
      assert.ok(read !== undefined);
      const updated = await store.transaction((unit) =>
        unit.keys.updateKeyVersion('K', read.version, read.rowVersion, { enabled: false, nbf: null, tags: { t: '1' }, updated: 7 }),
      );
      assert.equal(updated?.attributes.enabled, false);
      assert.equal(updated?.attributes.nbf, undefined, 'null clears');
      assert.equal(updated?.attributes.exp, 50, 'absent stays');
      assert.equal(updated?.attributes.updated, 7);
      assert.equal(updated?.rowVersion, read.rowVersion + 1);
      await assert.rejects(
        store.transaction((unit) => unit.keys.updateKeyVersion('k', read.version, read.rowVersion, { enabled: true, updated: 8 })),
        ConcurrentChangeError,
      );
      assert.equal((await store.reader.keys.getKeyVersion('k'))?.attributes.enabled, false, 'the stale update left nothing');
      assert.equal(await store.transaction((unit) => unit.keys.updateKeyVersion('k', versionId(9), 1, { updated: 9 })), undefined);
      await store.close();
    });

    test('soft delete, the name held, recover, purge', async () => {
      const store = open();
      await add(store, version('gone', 1));
      const deleted = await store.transaction((unit) => unit.keys.deleteKey('GONE', { deletedDate: 10, scheduledPurgeDate: 20 }));
      assert.deepEqual(deleted?.deletion, { deletedDate: 10, scheduledPurgeDate: 20 });
      assert.equal(await store.reader.keys.getKeyVersion('gone'), undefined);
      assert.equal((await store.reader.keys.getDeletedKey('gone'))?.version, versionId(1));
      assert.deepEqual((await store.reader.keys.listDeletedKeys({ limit: 5 })).items.map((item) => item.name), ['gone']);
      assert.equal(await add(store, version('Gone', 2)), 'name-is-deleted');
      assert.equal(await store.transaction((unit) => unit.keys.deleteKey('gone', { deletedDate: 11, scheduledPurgeDate: 21 })), undefined);
      assert.equal((await store.transaction((unit) => unit.keys.recoverDeletedKey('gone')))?.name, 'gone');
      assert.equal(await store.transaction((unit) => unit.keys.recoverDeletedKey('gone')), undefined);
      assert.equal(await store.transaction((unit) => unit.keys.purgeDeletedKey('gone')), false, 'only deleted keys are purged');
      await store.transaction((unit) => unit.keys.deleteKey('gone', { deletedDate: 12, scheduledPurgeDate: 22 }));
      assert.equal(await store.transaction((unit) => unit.keys.purgeDeletedKey('gone')), true);
      assert.equal(await store.reader.keys.getDeletedKey('gone'), undefined);
      assert.equal(await add(store, version('gone', 3)), 'added', 'a purged name is free');
      await store.close();
    });

    test('expired deleted keys are purged at their scheduled date, not before', async () => {
      const store = open();
      for (const [name, purge] of [['early', 100], ['late', 200]] as const) {
        await add(store, version(name, 1));
        await store.transaction((unit) => unit.keys.deleteKey(name, { deletedDate: 1, scheduledPurgeDate: purge }));
      }
      assert.deepEqual(await store.transaction((unit) => unit.keys.purgeExpiredKeys(99)), []);
      assert.deepEqual(await store.transaction((unit) => unit.keys.purgeExpiredKeys(100)), ['early']);
      assert.equal((await store.reader.keys.getDeletedKey('late'))?.name, 'late');
      await store.close();
    });

    test('a unit of work whose write fails leaves nothing behind, and runs no after-commit callback', async () => {
      const store = open();
      await add(store, version('unique', 1));
      let published = false;
      await assert.rejects(
        store.transaction(async (unit) => {
          await unit.keys.addKeyVersion(version('other', 2));
          await unit.settings.putSetting('half', 'done');
          unit.afterCommit(() => { published = true; });
          await unit.keys.addKeyVersion(version('unique', 1)); // the same version id again
        }),
        /UNIQUE/,
      );
      assert.equal(published, false);
      assert.equal(await store.reader.keys.getKeyVersion('other'), undefined);
      assert.equal(await store.reader.settings.getSetting('half'), undefined);
      assert.equal((await store.reader.keys.listKeyVersions('unique', { limit: 10 }))?.items.length, 1);
      let committed = false;
      await store.transaction(async (unit) => {
        unit.afterCommit(() => { committed = true; });
        assert.equal(committed, false, 'not before the commit');
      });
      assert.equal(committed, true);
      await store.close();
    });

    test('a unit reads its own writes before it commits', async () => {
      const store = open();
      await store.transaction(async (unit) => {
        await unit.keys.addKeyVersion(version('mine', 1));
        assert.equal((await unit.keys.getKeyVersion('mine'))?.version, versionId(1));
        assert.equal(await store.reader.keys.getKeyVersion('mine'), undefined, 'others do not see it yet');
      });
      await store.close();
    });

    test('principals and settings', async () => {
      const store = open();
      const principal = { id: 'p1', displayName: 'app', secretHash: 'scrypt$...', created: 3, generation: 1 };
      await store.transaction((unit) => unit.principals.addPrincipal(principal));
      await store.transaction((unit) => unit.principals.addPrincipal({ ...principal, id: 'p0' }));
      assert.deepEqual(await store.reader.principals.getPrincipal('p1'), principal);
      assert.equal(await store.reader.principals.getPrincipal('p2'), undefined);
      await assert.rejects(store.transaction((unit) => unit.principals.addPrincipal(principal)), /UNIQUE|duplicate key/);
      assert.deepEqual((await store.reader.principals.listPrincipals()).map((p) => p.id), ['p0', 'p1']);
      const reset = await store.transaction((unit) => unit.principals.replaceSecret('p1', 'scrypt$new'));
      assert.deepEqual(reset, { ...principal, secretHash: 'scrypt$new', generation: 2 });
      assert.equal(await store.transaction((unit) => unit.principals.replaceSecret('p9', 'x')), undefined);
      assert.equal((await store.transaction((unit) => unit.principals.deletePrincipal('p0')))?.id, 'p0');
      assert.equal(await store.transaction((unit) => unit.principals.deletePrincipal('p0')), undefined);
      assert.deepEqual((await store.reader.principals.listPrincipals()).map((p) => p.id), ['p1']);
      assert.equal(await store.transaction((unit) => unit.settings.putSettingIfAbsent('s', 'first')), 'first');
      assert.equal(await store.transaction((unit) => unit.settings.putSettingIfAbsent('s', 'second')), 'first');
      await store.transaction((unit) => unit.settings.putSetting('s', 'third'));
      assert.equal(await store.reader.settings.getSetting('s'), 'third');
      assert.equal(await store.transaction((unit) => unit.settings.replaceSetting('s', 'second', 'fourth')), false, 'not the value it holds');
      assert.equal(await store.transaction((unit) => unit.settings.replaceSetting('s', 'third', 'fourth')), true);
      assert.equal(await store.reader.settings.getSetting('s'), 'fourth');
      assert.equal(await store.transaction((unit) => unit.settings.replaceSetting('absent', 'x', 'y')), false);
      // Two units replacing the same value at once: exactly one succeeds.
      const raced = await Promise.allSettled(['a', 'b'].map((value) => store.transaction((unit) => unit.settings.replaceSetting('s', 'fourth', value))));
      const won = raced.filter((outcome) => outcome.status === 'fulfilled' && outcome.value === true).length;
      assert.equal(won, 1, JSON.stringify(raced.map((outcome) => outcome.status === 'fulfilled' ? outcome.value : String(outcome.reason))));
      await store.close();
    });

    test('job leases: one holder at a time, released by the run record, free again once expired', async () => {
      const store = open();
      const take = (holder: string, now: number) => store.transaction((unit) => unit.jobs.tryAcquireLease('job', holder, now, now + 10));
      assert.equal(await take('a', 100), true);
      assert.equal(await take('b', 105), false, 'held by a');
      assert.equal(await take('a', 105), true, 'a may renew');
      assert.equal(await take('b', 115), true, "a's lease expired");
      assert.equal(await store.transaction((unit) => unit.jobs.recordRun('job', 'a', { started: 1, finished: 2, outcome: 'succeeded', nextRun: 3 })), false, 'a no longer holds it');
      assert.equal(
        await store.transaction((unit) => unit.jobs.recordRun('job', 'b', { started: 115, finished: 116, outcome: 'failed', error: 'boom', nextRun: 175, state: '{"n":1}' })),
        true,
      );
      const job = await store.reader.jobs.getJob('job');
      assert.deepEqual(
        { holder: job?.holder, outcome: job?.lastOutcome, error: job?.lastError, next: job?.nextRun, state: job?.state },
        { holder: undefined, outcome: 'failed', error: 'boom', next: 175, state: '{"n":1}' },
      );
      assert.equal(await take('a', 116), false, 'a recorded run frees the lease, for when the job is next due');
      assert.equal(await take('a', 175), true);
      await store.close();
    });

    test('concurrent writers of one name get distinct versions, none lost', async () => {
      const store = open();
      await Promise.all(Array.from({ length: 20 }, (_, n) => add(store, version('busy', n + 1))));
      const versions = await store.reader.keys.listKeyVersions('busy', { limit: 25 });
      assert.equal(new Set(versions?.items.map((item) => item.version)).size, 20);
      await store.close();
    });

    // Issue 10: the audit log's repository (one hash chain per node process).
    describe('audit chains', () => {
      const audit = async () => {
        const { chainRecords } = await import('../../src/domain/audit/audit-chain.ts');
        const draft = (n: number, extra: { keyName?: string; principalId?: string } = {}) =>
          ({ time: 1000 + n, kind: 'event' as const, operationName: `Op${n}`, body: `{"n":${n}}`, ...extra });
        return { chainRecords, draft };
      };

      test('appends continue the head; the head moves; records read back as written', async () => {
        const store = open();
        const { chainRecords, draft } = await audit();
        assert.deepEqual(await store.reader.audit.listAuditChains(), []);
        let written: Awaited<ReturnType<typeof chainRecords>> = [];
        await store.transaction((unit) => unit.audit.appendAuditRecords('chain-a', (head) => {
          assert.equal(head, undefined);
          written = chainRecords('chain-a', head, [draft(1, { keyName: 'k1', principalId: 'p1' }), draft(2)]);
          return written;
        }));
        await store.transaction((unit) => unit.audit.appendAuditRecords('chain-a', (head) => {
          assert.deepEqual(head, { chainId: 'chain-a', seq: 2, hash: written[1]?.hash });
          const more = chainRecords('chain-a', head, [draft(3)]);
          written = [...written, ...more];
          return more;
        }));
        await store.transaction((unit) => unit.audit.appendAuditRecords('chain-b', (head) => chainRecords('chain-b', head, [draft(4)])));
        assert.deepEqual(await store.reader.audit.listAuditRecords('chain-a', 0, 10), written);
        assert.deepEqual((await store.reader.audit.listAuditRecords('chain-a', 1, 1)).map((r) => r.seq), [2]);
        assert.deepEqual((await store.reader.audit.listAuditChains()).map((h) => [h.chainId, h.seq]), [['chain-a', 3], ['chain-b', 1]]);
        await store.close();
      });

      test('a unit that rolls back appends nothing; records that do not continue the head are refused', async () => {
        const store = open();
        const { chainRecords, draft } = await audit();
        await store.transaction((unit) => unit.audit.appendAuditRecords('c', (head) => chainRecords('c', head, [draft(1)])));
        await assert.rejects(store.transaction(async (unit) => {
          await unit.audit.appendAuditRecords('c', (head) => chainRecords('c', head, [draft(2)]));
          throw new Error('roll back');
        }), /roll back/);
        await assert.rejects(store.transaction((unit) => unit.audit.appendAuditRecords('c', () => chainRecords('c', undefined, [draft(9)]))));
        assert.deepEqual((await store.reader.audit.listAuditChains()).map((h) => h.seq), [1]);
        assert.equal((await store.reader.audit.listAuditRecords('c', 0, 10)).length, 1);
        await store.close();
      });

      test('concurrent units append one after the other: no gap, every link holds', async () => {
        const store = open();
        const { chainRecords, draft } = await audit();
        await Promise.all(Array.from({ length: 10 }, async (_, n) => {
          for (;;) {
            try {
              return await store.transaction((unit) => unit.audit.appendAuditRecords('busy', (head) => chainRecords('busy', head, [draft(n)])));
            } catch (error) {
              if (!(error instanceof ConcurrentChangeError)) throw error;
            }
          }
        }));
        const records = await store.reader.audit.listAuditRecords('busy', 0, 100);
        assert.deepEqual(records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        for (let i = 1; i < records.length; i++) assert.equal(records[i]?.prevHash, records[i - 1]?.hash);
        await store.close();
      });

      test('queries: by key (case-insensitive), principal, time, events only, in pages', async () => {
        const store = open();
        const { chainRecords, draft } = await audit();
        await store.transaction((unit) => unit.audit.appendAuditRecords('q', (head) => chainRecords('q', head, [
          draft(1, { keyName: 'alpha', principalId: 'p1' }), draft(2, { keyName: 'beta', principalId: 'p2' }), draft(3, { keyName: 'alpha', principalId: 'p2' }),
        ], { signer: { keyId: 'test', sign: () => 'sig' }, time: 1010, final: true })));
        const seqs = async (query: Parameters<Store['reader']['audit']['queryAuditRecords']>[0]) => (await store.reader.audit.queryAuditRecords(query)).map((r) => r.seq);
        assert.deepEqual(await seqs({ keyName: 'ALPHA', limit: 10 }), [1, 3]);
        assert.deepEqual(await seqs({ principalId: 'p2', limit: 10 }), [2, 3]);
        assert.deepEqual(await seqs({ since: 1002, limit: 10 }), [2, 3, 4]);
        assert.deepEqual(await seqs({ since: 1002, eventsOnly: true, limit: 10 }), [2, 3]);
        assert.deepEqual(await seqs({ limit: 2 }), [1, 2]);
        assert.deepEqual(await seqs({ limit: 2, after: { time: 1002, chainId: 'q', seq: 2 } }), [3, 4]);
        await store.close();
      });
    });
  });
}
