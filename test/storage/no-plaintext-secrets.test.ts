/**
 * The database never holds a secret's value in the clear: not in the SQLite file, not in its WAL, in no
 * encoding (UTF-8, UTF-16, hex, base64, base64url), not in the audit records it keeps, not after a delete or a
 * backup; the stored rows are sealed blobs (that they open to exactly the values is test/unit/secrets/secret-operations.test.ts).
 * Mirrors no-plaintext-at-rest.test.ts, which does the same for key material.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer } from '../../harness/server-process.ts';

function assertValuesNotInFiles(dataDir: string, values: string[]): void {
  const files = readdirSync(dataDir)
    .filter((name) => name !== 'unseal-key' && statSync(join(dataDir, name)).isFile())
    .map((name) => ({ path: name, bytes: readFileSync(join(dataDir, name)) }));
  assert.ok(files.some((file) => file.path === 'strongroom.db'));
  for (const value of values) {
    const utf8 = Buffer.from(value, 'utf8');
    const forms = [utf8, Buffer.from(value, 'utf16le'), Buffer.from(utf8.toString('hex')), Buffer.from(utf8.toString('base64')), Buffer.from(utf8.toString('base64url'))];
    for (const file of files) {
      for (const form of forms) assert.equal(file.bytes.indexOf(form), -1, `${file.path} holds a secret value in the clear`);
    }
  }
}

test('no secret value appears in the data directory, while running and after a clean stop', async () => {
  const server = await startServer({ store: 'sqlite' });
  try {
    const api = apiClient(server, await accessToken(server));
    // Distinctive, long enough that a chance match is impossible; one multi-byte, one deleted, one backed up.
    const values = [
      `plain-${randomBytes(24).toString('hex')}`,
      `unicode-秘密-🔐-${randomBytes(16).toString('hex')}`,
      `deleted-${randomBytes(24).toString('hex')}`,
      `versioned-${randomBytes(24).toString('hex')}`,
    ];
    for (const [index, value] of values.entries()) assert.equal((await api.put(`/secrets/s${index}`, { value })).status, 200);
    assert.equal((await api.put('/secrets/s3', { value: `${values[3]}-2` })).status, 200);
    assert.equal((await api.get('/secrets/s0')).json.value, values[0]);
    assert.equal((await api.delete('/secrets/s2')).status, 200);
    assert.equal((await api.post('/secrets/s1/backup')).status, 200);

    assertValuesNotInFiles(server.dataDir, values);
    // The rows are there, sealed: one per version, each longer than its value, none holding it.
    const db = new DatabaseSync(join(server.dataDir, 'strongroom.db'), { readOnly: true });
    const rows = db.prepare('SELECT name_lc, sealed_value FROM secret_versions ORDER BY seq').all() as Array<{ name_lc: string; sealed_value: Uint8Array }>;
    db.close();
    assert.deepEqual(rows.map((row) => row.name_lc), ['s0', 's1', 's2', 's3', 's3']);
    for (const [index, row] of rows.entries()) {
      const value = values[Math.min(index, 3)] ?? '';
      assert.ok(row.sealed_value.length > Buffer.byteLength(value, 'utf8'));
    }

    await server.stop();
    assertValuesNotInFiles(server.dataDir, values);
  } finally {
    await disposeServer(server);
  }
});
