/**
 * The database never holds private key material in the clear: not in the SQLite file, not in its WAL, not in
 * any encoding (raw bytes, hex, base64, base64url); nor the domain key that seals it. The private parts to look
 * for are obtained through the store-level test hook, which opens the sealed blobs with the domain key it
 * unwraps with the unseal key.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer } from '../../harness/server-process.ts';
import { revealDomainKey, revealStoredKeyVersions, type RevealedKeyVersion } from '../helpers/store-inspection.ts';

function storedFiles(dataDir: string): Array<{ path: string; bytes: Buffer }> {
  // Everything in the data directory but the unseal key itself, which is what makes the rest opaque.
  return readdirSync(dataDir)
    .filter((name) => name !== 'unseal-key' && statSync(join(dataDir, name)).isFile())
    .map((name) => ({ path: name, bytes: readFileSync(join(dataDir, name)) }));
}

function assertNotInFiles(dataDir: string, revealed: RevealedKeyVersion[]): void {
  const files = storedFiles(dataDir);
  assert.ok(files.some((file) => file.path === 'strongroom.db'));
  const secrets: Array<[string, Buffer]> = [['the domain key', revealDomainKey(dataDir)]];
  for (const key of revealed) {
    for (const [member, value] of Object.entries(key.privateComponents)) secrets.push([`'${member}' of ${key.name}/${key.version}`, value]);
  }
  for (const [what, value] of secrets) {
    const forms = [value, Buffer.from(value.toString('hex')), Buffer.from(value.toString('base64')), Buffer.from(value.toString('base64url'))];
    for (const file of files) {
      for (const form of forms) assert.equal(file.bytes.indexOf(form), -1, `${file.path} holds ${what} in the clear`);
    }
  }
}

test('no private component of any stored key, and not the domain key, appears in the data directory', async () => {
  const server = await startServer();
  try {
    const api = apiClient(server, await accessToken(server));
    const created = [
      (await api.post('/keys/rsa/create', { kty: 'RSA', key_size: 2048 })).json,
      (await api.post('/keys/rsa4096/create', { kty: 'RSA-HSM', key_size: 4096 })).json,
      (await api.post('/keys/ec/create', { kty: 'EC', crv: 'P-256K' })).json,
      (await api.post('/keys/ec521/create', { kty: 'EC-HSM', crv: 'P-521' })).json,
      (await api.post('/keys/aes/create', { kty: 'oct-HSM', key_size: 256 })).json,
      (await api.post('/keys/aes128/create', { kty: 'oct', key_size: 128 })).json,
    ];
    const imported = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' });
    created.push((await api.put('/keys/imported', { key: imported })).json);
    assert.equal((await api.delete('/keys/aes128')).status, 200);
    for (const bundle of created) assert.ok(bundle.key?.kid, JSON.stringify(bundle));

    // While the server runs (recent writes still in the WAL)...
    const revealed = revealStoredKeyVersions(server.dataDir);
    assert.equal(revealed.length, created.length, 'the hook sees every stored version, deleted ones too');
    assertNotInFiles(server.dataDir, revealed);

    // ...and the hook really reveals the stored keys: the EC key it opened matches the public key served.
    const ec = revealed.find((key) => key.name === 'ec');
    assert.ok(ec !== undefined && ec.material.family === 'EC');
    const publicJwk = createPublicKey(ec.material.privateKey).export({ format: 'jwk' });
    assert.equal(publicJwk.x, created[2].key.x);
    const importedKey = revealed.find((key) => key.name === 'imported');
    assert.equal(importedKey?.privateComponents['d']?.toString('base64url'), imported.d);

    // ...and after a clean stop, once SQLite has checkpointed the WAL into the database file.
    await server.stop();
    assertNotInFiles(server.dataDir, revealed);
  } finally {
    await disposeServer(server);
  }
});
