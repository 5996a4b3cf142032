/**
 * What the PostgreSQL store does beyond the contract suite, with several stores (nodes) on one database:
 * migrations started by two nodes at once, a newer schema refused, races settled by the database (a stale row
 * version, a deadlock, two nodes adding versions of one name, a purge racing a recover, a lease asked for by
 * two nodes), a unit that swallowed a failed statement, the URL handling, and the error mapping.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { testPostgres, type TestPostgres } from '../../harness/postgres.ts';
import type { KeyVersion } from '../../src/domain/keys/key-model.ts';
import { openStore } from '../../src/storage/open-store.ts';
import { redactedUrl } from '../../src/storage/postgres/connection-config.ts';
import { contractError } from '../../src/storage/postgres/pg-errors.ts';
import { postgresMigrations } from '../../src/storage/postgres/migrations.ts';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.ts';
import { ConcurrentChangeError, isStoreBusy, StoreBusyError } from '../../src/storage/store-errors.ts';
import { versionId, keyVersion as record } from '../helpers/key-versions.ts';

let server: TestPostgres;
const stores: PostgresStore[] = [];

before(async () => {
  server = await testPostgres();
});
after(async () => {
  for (const store of stores) await store.close();
  await server?.close();
});


function open(url: string, options: { listen?: boolean } = {}): PostgresStore {
  const store = new PostgresStore({ url, listen: options.listen ?? false });
  stores.push(store);
  return store;
}

/** Two stores ("nodes") on one new, migrated database. */
async function twoNodes(): Promise<{ url: string; name: string; a: PostgresStore; b: PostgresStore }> {
  const { url, name } = await server.createDatabase();
  const a = open(url);
  await a.migrate();
  return { url, name, a, b: open(url) };
}

const add = (store: PostgresStore, value: KeyVersion) => store.transaction((unit) => unit.keys.addKeyVersion(value));

describe('migrations', () => {
  test('two nodes migrating at once: one applies, both end at the same version, no error', async () => {
    const { url } = await server.createDatabase();
    const outcomes = await Promise.all([open(url).migrate(), open(url).migrate(), open(url).migrate()]);
    const latest = postgresMigrations.length;
    assert.deepEqual(outcomes.map((outcome) => outcome.to), [latest, latest, latest]);
    assert.equal(outcomes.filter((outcome) => outcome.from === 0).length, 1, 'exactly one applied the migrations');
    const again = await open(url).migrate();
    assert.deepEqual(again, { from: latest, to: latest });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const rows = await admin.query('SELECT version FROM schema_migrations');
    await admin.end();
    assert.deepEqual(rows.rows.map((row) => row.version).sort(), Array.from({ length: latest }, (_, index) => index + 1));
  });

  test('a newer schema than this release knows is refused, by a migrating and by a checking node', async () => {
    const { url } = await server.createDatabase();
    await open(url).migrate();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const newer = postgresMigrations.length + 1;
    await admin.query('INSERT INTO schema_migrations (version, applied) VALUES ($1, 0)', [newer]);
    await admin.end();
    const refusal = new RegExp(`the database schema is version ${newer}, newer than this release knows \\(${postgresMigrations.length}\\); run the newer release`);
    await assert.rejects(open(url).migrate(), refusal);
    await assert.rejects(open(url).checkSchema(), refusal);
    await assert.rejects(openStore({ backend: 'postgres', url }, { migrate: true }), refusal);
  });

  test('a node that does not migrate refuses a database not migrated yet; openStore migrates when asked', async () => {
    const { url } = await server.createDatabase();
    await assert.rejects(openStore({ backend: 'postgres', url }, { migrate: false }), /older than this release needs/);
    const store = (await openStore({ backend: 'postgres', url }, { migrate: true })) as PostgresStore;
    stores.push(store);
    assert.equal(store.backend, 'postgres');
    const worker = (await openStore({ backend: 'postgres', url }, { migrate: false })) as PostgresStore;
    stores.push(worker);
    await add(store, record('opened', 1));
    assert.equal((await worker.reader.keys.getKeyVersion('OPENED'))?.version, versionId(1));
  });
});

describe('races between nodes', () => {
  test('two units updating one version at once: one applies, the other gets ConcurrentChangeError', async () => {
    const { a, b, name } = await twoNodes();
    await add(a, record('raced', 1));
    const read = await a.reader.keys.getKeyVersion('raced');
    assert.ok(read !== undefined);
    let releaseFirst!: () => void;
    let firstLocked!: () => void;
    const firstHolds = new Promise<void>((resolve) => { releaseFirst = resolve; });
    const locked = new Promise<void>((resolve) => { firstLocked = resolve; });
    const first = a.transaction(async (unit) => {
      const updated = await unit.keys.updateKeyVersion('raced', read.version, read.rowVersion, { enabled: false, updated: 2 });
      firstLocked();
      await firstHolds; // keeps the row locked until the second unit is waiting for it
      return updated;
    });
    await locked;
    const second = b.transaction((unit) => unit.keys.updateKeyVersion('raced', read.version, read.rowVersion, { tags: { x: 'y' }, updated: 3 }));
    await waitForLockWaiters(server, name, 1);
    releaseFirst();
    assert.equal((await first)?.rowVersion, read.rowVersion + 1);
    await assert.rejects(second, ConcurrentChangeError);
    const final = await b.reader.keys.getKeyVersion('raced');
    assert.deepEqual({ enabled: final?.attributes.enabled, tags: final?.tags }, { enabled: false, tags: undefined });
  });

  test('a unit kept waiting for a row lock longer than the lock timeout is StoreBusyError, and left nothing', async () => {
    const { url, a } = await twoNodes();
    const impatient = new PostgresStore({ url, listen: false, lockTimeoutMs: 200 });
    stores.push(impatient);
    let release!: () => void;
    let holding!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const held = new Promise<void>((resolve) => { holding = resolve; });
    const holder = a.transaction(async (unit) => {
      await unit.keys.addKeyVersion(record('locked', 1));
      holding();
      await gate;
    });
    await held;
    const waited = await impatient
      .transaction(async (unit) => {
        await unit.settings.putSetting('impatient', 'was here');
        await unit.keys.addKeyVersion(record('locked', 2));
      })
      .catch((error: unknown) => error);
    release();
    await holder;
    assert.ok(isStoreBusy(waited), `StoreBusyError, not ${String(waited)}`);
    assert.equal(await impatient.reader.settings.getSetting('impatient'), undefined);
    assert.equal((await impatient.reader.keys.listKeyVersions('locked', { limit: 5 }))?.items.length, 1);
    assert.equal(await add(impatient, record('locked', 3)), 'added', 'the connection is usable again');
  });

  test('a deadlock between two units is a ConcurrentChangeError for one of them; the other commits', async () => {
    const { a, b } = await twoNodes();
    await add(a, record('left', 1));
    await add(a, record('right', 2));
    const left = await a.reader.keys.getKeyVersion('left');
    const right = await a.reader.keys.getKeyVersion('right');
    assert.ok(left !== undefined && right !== undefined);
    let aHasLeft!: () => void;
    let bHasRight!: () => void;
    const aLocked = new Promise<void>((resolve) => { aHasLeft = resolve; });
    const bLocked = new Promise<void>((resolve) => { bHasRight = resolve; });
    const patch = (updated: number) => ({ updated });
    const unitA = a.transaction(async (unit) => {
      await unit.keys.updateKeyVersion('left', left.version, left.rowVersion, patch(10));
      aHasLeft();
      await bLocked;
      await unit.keys.updateKeyVersion('right', right.version, right.rowVersion, patch(11));
    });
    const unitB = b.transaction(async (unit) => {
      await unit.keys.updateKeyVersion('right', right.version, right.rowVersion, patch(20));
      bHasRight();
      await aLocked;
      await unit.keys.updateKeyVersion('left', left.version, left.rowVersion, patch(21));
    });
    const outcomes = await Promise.allSettled([unitA, unitB]);
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    assert.equal(failed.length, 1, 'exactly one unit lost');
    assert.ok(failed[0]?.status === 'rejected' && failed[0].reason instanceof ConcurrentChangeError, String(failed[0]?.status === 'rejected' && failed[0].reason));
    const winner = outcomes[0]?.status === 'fulfilled' ? [10, 11] : [21, 20];
    assert.deepEqual(
      [(await a.reader.keys.getKeyVersion('left'))?.attributes.updated, (await a.reader.keys.getKeyVersion('right'))?.attributes.updated],
      winner,
      "the winner's writes, all of them, and none of the loser's",
    );
  });

  test('two nodes adding versions of one new name at once: distinct versions, none lost, one key row', async () => {
    const { a, b } = await twoNodes();
    await Promise.all(Array.from({ length: 30 }, (_, n) => add(n % 2 === 0 ? a : b, { ...record(n % 3 === 0 ? 'Shared' : 'shared', n + 1) })));
    const versions = await a.reader.keys.listKeyVersions('SHARED', { limit: 50 });
    assert.equal(new Set(versions?.items.map((item) => item.version)).size, 30);
    assert.equal((await b.reader.keys.listKeys({ limit: 10 })).items.length, 1);
  });

  test('a purge racing a recover: one consistent outcome, never a half of each', async () => {
    const { a, b } = await twoNodes();
    const seen = new Set<string>();
    for (let n = 0; n < 12; n++) {
      const name = `contested-${n}`;
      await add(a, record(name, 1));
      await add(a, record(name, 2));
      await a.transaction((unit) => unit.keys.deleteKey(name, { deletedDate: 1, scheduledPurgeDate: 2 }));
      const [purged, recovered] = await Promise.all([
        a.transaction((unit) => unit.keys.purgeDeletedKey(name)),
        b.transaction((unit) => unit.keys.recoverDeletedKey(name)),
      ]);
      const active = await b.reader.keys.listKeyVersions(name, { limit: 5 });
      const deleted = await b.reader.keys.getDeletedKey(name);
      if (purged) {
        assert.equal(recovered, undefined);
        assert.equal(active, undefined);
        assert.equal(deleted, undefined);
        seen.add('purged');
      } else {
        assert.equal(recovered?.version, versionId(2));
        assert.equal(active?.items.length, 2, 'every version came back');
        assert.equal(deleted, undefined);
        seen.add('recovered');
      }
    }
    assert.ok(seen.size >= 1, [...seen].join());
  });

  test('a lease asked for by two nodes at once: exactly one gets it', async () => {
    const { a, b } = await twoNodes();
    for (let n = 0; n < 10; n++) {
      const job = `job-${n}`;
      const taken = await Promise.all([
        a.transaction((unit) => unit.jobs.tryAcquireLease(job, 'node-a', 100, 110)),
        b.transaction((unit) => unit.jobs.tryAcquireLease(job, 'node-b', 100, 110)),
      ]);
      assert.equal(taken.filter(Boolean).length, 1, `job ${n}: ${taken.join(',')}`);
      assert.equal((await a.reader.jobs.getJob(job))?.holder, taken[0] ? 'node-a' : 'node-b');
    }
  });

  test('putSettingIfAbsent from two nodes at once: both get the one value stored', async () => {
    const { a, b } = await twoNodes();
    const values = await Promise.all([
      a.transaction((unit) => unit.settings.putSettingIfAbsent('tenant', 'from-a')),
      b.transaction((unit) => unit.settings.putSettingIfAbsent('tenant', 'from-b')),
    ]);
    assert.equal(values[0], values[1]);
    assert.equal(await a.reader.settings.getSetting('tenant'), values[0]);
  });
});

describe('units of work', () => {
  test('a unit that swallowed a failed statement is not reported committed, and left nothing', async () => {
    const { a } = await twoNodes();
    await add(a, record('dup', 1));
    let published = false;
    await assert.rejects(
      a.transaction(async (unit) => {
        await unit.settings.putSetting('half', 'written');
        await unit.keys.addKeyVersion(record('dup', 1)).catch(() => 'swallowed');
        unit.afterCommit(() => { published = true; });
      }),
      /UNIQUE constraint failed: key_versions/,
    );
    assert.equal(published, false);
    assert.equal(await a.reader.settings.getSetting('half'), undefined);
  });

  test('a unit open on one node is invisible to the other until it commits; a rollback leaves nothing', async () => {
    const { a, b } = await twoNodes();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const unit = a.transaction(async (work) => {
      await work.keys.addKeyVersion(record('pending', 1));
      await gate;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await b.reader.keys.getKeyVersion('pending'), undefined);
    release();
    await unit;
    assert.equal((await b.reader.keys.getKeyVersion('pending'))?.version, versionId(1));
    await assert.rejects(
      b.transaction(async (work) => {
        await work.keys.addKeyVersion(record('rolled-back', 1));
        throw new Error('the operation failed');
      }),
      /the operation failed/,
    );
    assert.equal(await a.reader.keys.getKeyVersion('rolled-back'), undefined);
  });

  test('records keep their JSON members as written, bytes as bytes, dates as numbers', async () => {
    const { a } = await twoNodes();
    const jwk = { y: 'BBB', crv: 'P-256' as const, x: 'AAA' };
    await add(a, {
      ...record('typed', 1),
      publicJwk: jwk,
      sealedMaterial: Buffer.from([0, 255, 1, 254]),
      tags: { zeta: '1', alpha: '2' },
      releasePolicy: { contentType: 'application/json; charset=utf-8', immutable: true, data: 'e30' },
      attributes: { enabled: true, exportable: true, nbf: 1_700_000_000, exp: 4_102_444_800, created: 1_700_000_000, updated: 1_700_000_001 },
    });
    const read = await a.reader.keys.getKeyVersion('typed');
    assert.deepEqual(Object.keys(read?.publicJwk ?? {}), ['y', 'crv', 'x'], 'member order as written');
    assert.deepEqual(Object.keys(read?.tags ?? {}), ['zeta', 'alpha']);
    assert.deepEqual(read?.sealedMaterial, Buffer.from([0, 255, 1, 254]));
    assert.equal(read?.attributes.exp, 4_102_444_800);
    assert.equal(typeof read?.attributes.nbf, 'number');
    assert.equal(read?.releasePolicy?.immutable, true);
    assert.throws(() => { (read?.attributes as { enabled: boolean }).enabled = false; }, TypeError, 'records handed out are frozen');
  });

  test('a bigint column does not turn every int8 into a number for other users of pg', () => {
    assert.equal(pg.types.getTypeParser(20, 'text')('9007199254740993'), '9007199254740993');
  });
});

describe('URLs and errors', () => {
  test('a URL that is not PostgreSQL is refused, without its password', () => {
    assert.throws(() => new PostgresStore({ url: 'mysql://admin:hunter2@db/strongroom' }), (error: Error) =>
      /not a PostgreSQL URL/.test(error.message) && !error.message.includes('hunter2'));
    assert.equal(redactedUrl('postgresql://admin:hunter2@db:5433/s?sslmode=require'), 'postgresql://admin:***@db:5433/s?sslmode=require');
    assert.equal(redactedUrl('postgres://db/s?password=hunter2'), 'postgres://db/s?password=***');
  });

  test('postgresql:// and sslmode are passed to the driver; the libpq environment fills in what the URL omits', async () => {
    const { url, name } = await server.createDatabase();
    const plain = open(url.replace(/^postgres:/, 'postgresql:') + (url.includes('?') ? '&' : '?') + 'sslmode=disable');
    await plain.migrate();
    await add(plain, record('via-postgresql-scheme', 1));
    // The test server speaks no TLS: a URL that demands it is refused (busy, as any unreachable database).
    const tls = open(`${url}${url.includes('?') ? '&' : '?'}sslmode=verify-full`);
    await assert.rejects(tls.reader.settings.getSetting('x'), StoreBusyError);
    const parsed = new URL(url);
    const saved = { PGHOST: process.env.PGHOST, PGPORT: process.env.PGPORT, PGUSER: process.env.PGUSER };
    Object.assign(process.env, { PGHOST: parsed.hostname, PGPORT: parsed.port || '5432', PGUSER: decodeURIComponent(parsed.username) });
    try {
      const fromEnvironment = open(`postgres:///${name}`);
      assert.equal((await fromEnvironment.reader.keys.getKeyVersion('via-postgresql-scheme'))?.version, versionId(1));
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  test('an unreachable database is StoreBusyError, and its message carries no password', async () => {
    const store = open('postgres://someone:hunter2@127.0.0.1:1/nothing');
    const error = await store.transaction(async () => 'never').catch((caught: unknown) => caught);
    assert.ok(isStoreBusy(error), String(error));
    assert.ok(!String((error as Error).message).includes('hunter2'));
  });

  test('SQLSTATEs map to the contract: serialization failure and deadlock, duplicates, connection classes', () => {
    const failure = (code: string, extra: Partial<pg.DatabaseError> = {}) => Object.assign(new pg.DatabaseError('x', 0, 'error'), { code, ...extra });
    assert.ok(contractError(failure('40001')) instanceof ConcurrentChangeError);
    assert.ok(contractError(failure('40P01')) instanceof ConcurrentChangeError);
    assert.match(String((contractError(failure('23505', { table: 'principals', constraint: 'principals_pkey' })) as Error).message), /^UNIQUE constraint failed: principals/);
    for (const code of ['08006', '57P01', '57P03', '53300', '55P03']) assert.ok(isStoreBusy(contractError(failure(code))), code);
    assert.ok(isStoreBusy(contractError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))));
    const bug = new TypeError('a bug');
    assert.equal(contractError(bug), bug);
    const other = failure('22P02');
    assert.equal(contractError(other), other);
  });
});

/** Waits until `count` statements on `database` are waiting for a lock. */
async function waitForLockWaiters(postgres: TestPostgres, database: string, count: number): Promise<void> {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
    const [row] = await postgres.admin("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = $1", [database]);
    if (Number(row?.n) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no ${count} statement(s) waiting for a lock within 5 s`);
}
