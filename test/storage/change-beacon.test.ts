/**
 * The node's change beacon: processes of one node (two stores on one SQLite file, each with its slot) see each
 * other's commits on their very next read, cached reads included, without asking the database whether anything
 * changed; a beacon's stamp changes on every commit and never repeats. The slots are shared memory: another
 * process's signal is seen by the next read without a file read, and the file holds what the memory holds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ChangeBeacon } from '../../src/storage/change-beacon.ts';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { keyVersion as record } from '../helpers/key-versions.ts';

const dir = mkdtempSync(join(tmpdir(), 'strongroom-beacon-'));
after(() => rmSync(dir, { recursive: true, force: true }));


test('each commit moves the stamp, and only commits do', () => {
  const path = join(dir, 'stamps.changes');
  const primary = new ChangeBeacon(path, { slot: 0, slots: 3, create: true });
  const worker = new ChangeBeacon(path, { slot: 2, slots: 3, create: false });
  const seen = new Set<string>();
  const stamp = primary.stampBuffer();
  const read = () => {
    worker.read(stamp);
    return stamp.toString('hex');
  };
  seen.add(read());
  assert.equal(read(), [...seen][0], 'no commit, no change');
  for (let n = 0; n < 5; n++) {
    (n % 2 === 0 ? primary : worker).signal();
    const now = read();
    assert.ok(!seen.has(now), 'a stamp never repeats');
    seen.add(now);
  }
  primary.close();
  worker.close();
});

test('a write acknowledged by one process is seen by the next read of another, cached or not', async () => {
  const path = join(dir, 'shared.db');
  const beaconPath = join(dir, 'shared.changes');
  const first = new SqliteStore(path, { beacon: new ChangeBeacon(beaconPath, { slot: 0, slots: 2, create: true }) });
  first.migrate();
  const second = new SqliteStore(path, { beacon: new ChangeBeacon(beaconPath, { slot: 1, slots: 2, create: false }) });
  await first.transaction((unit) => unit.keys.addKeyVersion(record('k', 1)));
  assert.equal((await second.reader.keys.getKeyVersion('k'))?.attributes.enabled, true);
  assert.equal((await second.reader.keys.getKeyVersion('k'))?.attributes.enabled, true); // cached
  await first.transaction(async (unit) => {
    const current = await unit.keys.getKeyVersion('k');
    assert.ok(current !== undefined);
    await unit.keys.updateKeyVersion('k', current.version, current.rowVersion, { enabled: false, updated: 2 });
  });
  assert.equal((await second.reader.keys.getKeyVersion('k'))?.attributes.enabled, false);
  await second.transaction((unit) => unit.keys.addKeyVersion(record('k', 2)));
  assert.equal((await first.reader.keys.getKeyVersion('k'))?.version, record('k', 2).version, 'and the other way round');
  await Promise.all([first.close(), second.close()]);
});

test('another process\'s signal is seen by the next read, and the file holds the counters the memory holds', () => {
  const path = join(dir, 'processes.changes');
  const primary = new ChangeBeacon(path, { slot: 0, slots: 3, create: true });
  const stamp = primary.stampBuffer();
  primary.read(stamp);
  const before = Buffer.from(stamp);
  // A separate process (its own mapping of the file) signals its slot three times, then exits.
  const script = [
    `import { ChangeBeacon } from ${JSON.stringify(new URL('../../src/storage/change-beacon.ts', import.meta.url).href)};`,
    `const beacon = new ChangeBeacon(${JSON.stringify(path)}, { slot: 1, slots: 3, create: false });`,
    'for (let n = 0; n < 3; n++) beacon.signal();',
    'beacon.close();',
  ].join('\n');
  execFileSync(process.execPath, ['--input-type=module', '-e', script]);
  primary.read(stamp);
  assert.notDeepEqual(stamp, before, 'the other process\'s commits are seen');
  assert.equal(stamp.readBigUInt64LE(8), 3n);
  primary.signal();
  primary.read(stamp);
  assert.equal(stamp.readBigUInt64LE(0), 1n);
  assert.deepEqual(readFileSync(path), stamp, 'the mapping is the file: an offline reader of the file sees the same counts');
  primary.close();
});
