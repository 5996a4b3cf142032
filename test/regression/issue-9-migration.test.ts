/**
 * Issue 9: the security domain replaces the instance key-encryption key. A data directory made by the previous
 * release (test/fixtures/previous-release-data-dir, see its README) starts under the current release: its
 * key-encryption key becomes the domain key (wrapped by the new unseal key, then removed from the directory),
 * and every key it held still answers with its original public key, deleted keys stay deleted, and a second
 * start opens the migrated domain from the unseal key alone.
 */
import assert from 'node:assert/strict';
import { createPublicKey, createVerify, randomBytes, type JsonWebKey } from 'node:crypto';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CryptographyClient } from '@azure/keyvault-keys';
import { startServer, temporaryDataDir, type StartedServer } from '../../harness/server-process.ts';
import { credentialFor, keyClientFor } from '../helpers/sdk.ts';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'previous-release-data-dir');
const publicKeys = JSON.parse(readFileSync(join(fixture, 'public-keys.json'), 'utf8')) as Record<'ec' | 'rsa' | 'rsa2', JsonWebKey & { kid: string }>;
const legacyKek = readFileSync(join(fixture, 'key-encryption-key'));

const dataDir = temporaryDataDir();
rmSync(dataDir, { recursive: true });
cpSync(fixture, dataDir, { recursive: true });
// git keeps no modes: give the copy the ones the release made.
chmodSync(dataDir, 0o700);
chmodSync(join(dataDir, 'tls'), 0o700);
for (const file of ['strongroom.db', 'key-encryption-key', 'admin-credentials.json', 'public-keys.json', 'README.md']) chmodSync(join(dataDir, file), 0o600);
chmodSync(join(dataDir, 'tls', 'ca.pem'), 0o644);
after(() => rmSync(dataDir, { recursive: true, force: true }));

async function signsUnder(server: StartedServer, jwk: JsonWebKey & { kid: string }, algorithm: 'ES256' | 'RS256'): Promise<void> {
  const kid = jwk.kid.replace(/^https:\/\/localhost:\d+/, server.url());
  const client = new CryptographyClient(kid, credentialFor(server), { agent: server.agent, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } } as never);
  const data = randomBytes(64);
  const { result } = await client.signData(algorithm, data);
  const { kid: _kid, ...publicJwk } = jwk;
  const verifier = createVerify('sha256').update(data);
  const key = createPublicKey({ key: publicJwk, format: 'jwk' });
  assert.ok(verifier.verify(algorithm === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, result), `${jwk.kid} signs under its original public key`);
}

test('the first start migrates the key-encryption key into the security domain and every key still works', async () => {
  const server = await startServer({ dataDir, store: 'sqlite' });
  try {
    assert.equal(existsSync(join(dataDir, 'key-encryption-key')), false, 'the old key (now the domain key, in the clear) is removed');
    assert.equal(statSync(join(dataDir, 'unseal-key')).mode & 0o777, 0o600);
    for (const file of readdirSync(dataDir, { recursive: true, encoding: 'utf8' })) {
      const path = join(dataDir, file);
      if (statSync(path).isFile()) assert.equal(readFileSync(path).indexOf(legacyKek), -1, `${file} does not hold the domain key`);
    }
    const keys = keyClientFor(server);
    const names: string[] = [];
    for await (const key of keys.listPropertiesOfKeys()) names.push(key.name);
    assert.deepEqual(names.sort(), ['legacy-aes', 'legacy-ec', 'legacy-rsa']);
    const deleted = await keys.getDeletedKey('legacy-deleted');
    assert.equal(deleted.name, 'legacy-deleted');
    const versions: string[] = [];
    for await (const version of keys.listPropertiesOfKeyVersions('legacy-rsa')) versions.push(version.version ?? '');
    assert.equal(versions.length, 2);

    await signsUnder(server, publicKeys.ec, 'ES256');
    await signsUnder(server, publicKeys.rsa, 'RS256');
    await signsUnder(server, publicKeys.rsa2, 'RS256');
    const aes = await keys.getKey('legacy-aes');
    const crypto = new CryptographyClient(aes, credentialFor(server), { agent: server.agent, disableChallengeResourceVerification: true } as never);
    const iv = randomBytes(16);
    const sealed = await crypto.encrypt({ algorithm: 'A256CBCPAD', plaintext: Buffer.from('still here'), iv });
    const opened = await crypto.decrypt({ algorithm: 'A256CBCPAD', ciphertext: sealed.result, iv });
    assert.equal(Buffer.from(opened.result).toString(), 'still here');
  } finally {
    await server.stop();
  }
});

test('a second start opens the migrated domain with the unseal key alone', async () => {
  const server = await startServer({ dataDir, store: 'sqlite' });
  try {
    await signsUnder(server, publicKeys.ec, 'ES256');
  } finally {
    await server.stop();
  }
});
