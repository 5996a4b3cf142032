/**
 * The key lifecycle driven by the unmodified `@azure/keyvault-keys` KeyClient, authenticated by the real
 * `@azure/identity` ClientSecretCredential against the server's own token endpoint. Every scenario runs twice:
 * on `https://localhost:PORT` (challenge resource verification off) and on `https://myvault.vault.localhost:PORT`
 * (verification on, as against Azure).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { JsonWebKey as SdkJsonWebKey, KeyClient } from '@azure/keyvault-keys';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { keyClientFor } from '../helpers/sdk.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;
const poll = { intervalInMs: 20 };

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await disposeServer(server); });

for (const host of ['localhost', 'myvault.vault.localhost'] as const) {
  describe(`key lifecycle through the SDK on ${host}`, () => {
    let client: KeyClient;
    const name = (base: string) => `${base}-${host === 'localhost' ? 'a' : 'b'}`;
    before(() => { client = keyClientFor(server, host); });

    for (const keySize of [2048, 3072, 4096]) {
      test(`creates an RSA-${keySize} key and returns only its public parts`, async () => {
        const key = await client.createRsaKey(name(`rsa${keySize}`), { keySize });
        assert.equal(key.keyType, 'RSA-HSM');
        assert.equal(key.key?.n?.length, keySize / 8);
        assert.deepEqual([...(key.key?.e ?? [])], [1, 0, 1]);
        assert.deepEqual(key.keyOperations?.toSorted(), ['decrypt', 'encrypt', 'sign', 'unwrapKey', 'verify', 'wrapKey']);
        assertNoPrivateMembers(key.key);
        assert.match(key.properties.version ?? '', /^[0-9a-f]{32}$/);
        assert.equal(key.id, `${server.url(host)}/keys/${name(`rsa${keySize}`)}/${key.properties.version}`);
      });
    }

    for (const [curve, coordinateBytes] of [['P-256', 32], ['P-256K', 32], ['P-384', 48], ['P-521', 66]] as const) {
      test(`creates an EC ${curve} key`, async () => {
        const key = await client.createEcKey(name(`ec-${curve}`), { curve });
        assert.equal(key.keyType, 'EC-HSM');
        assert.equal(key.key?.crv, curve);
        assert.equal(key.key?.x?.length, coordinateBytes);
        assert.equal(key.key?.y?.length, coordinateBytes);
        assert.deepEqual(key.keyOperations?.toSorted(), ['sign', 'verify']);
        assertNoPrivateMembers(key.key);
      });
    }

    for (const keySize of [128, 192, 256]) {
      test(`creates an AES-${keySize} (oct-HSM) key without revealing it`, async () => {
        const key = await client.createOctKey(name(`oct${keySize}`), { keySize, hsm: true });
        assert.equal(key.keyType, 'oct-HSM');
        assertNoPrivateMembers(key.key);
      });
    }

    test('createKey with the key type "AES" gives an oct-HSM key, as Managed HSM does', async () => {
      const key = await client.createKey(name('aes-by-type'), 'AES' as never, { keySize: 256 });
      assert.equal(key.keyType, 'oct-HSM');
      assertNoPrivateMembers(key.key);
    });

    test('listing the versions of a name that does not exist yields nothing (the pager does not throw)', async () => {
      const versions = [];
      for await (const version of client.listPropertiesOfKeyVersions(name('never-created'))) versions.push(version);
      assert.deepEqual(versions, []);
    });

    test('creating an existing name adds a version; get returns the latest or the one asked for', async () => {
      const first = await client.createEcKey(name('versions'), { curve: 'P-256', tags: { generation: '1' } });
      const second = await client.createEcKey(name('versions'), { curve: 'P-384', tags: { generation: '2' } });
      assert.notEqual(first.properties.version, second.properties.version);
      const latest = await client.getKey(name('versions'));
      assert.equal(latest.properties.version, second.properties.version);
      assert.equal(latest.key?.crv, 'P-384');
      const older = await client.getKey(name('versions'), { version: first.properties.version ?? '' });
      assert.equal(older.key?.crv, 'P-256');
      assert.deepEqual(older.properties.tags, { generation: '1' });
      const versions = [];
      for await (const properties of client.listPropertiesOfKeyVersions(name('versions'))) versions.push(properties.version);
      assert.deepEqual(versions.toSorted(), [first.properties.version, second.properties.version].toSorted());
    });

    test('names compare case-insensitively', async () => {
      const created = await client.createEcKey(name('MixedCase'), { curve: 'P-256' });
      const fetched = await client.getKey(name('mixedcase').toUpperCase());
      assert.equal(fetched.properties.version, created.properties.version);
    });

    test('updates attributes, tags and operations of one version', async () => {
      const key = await client.createRsaKey(name('update'), { keySize: 2048 });
      const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
      const expiresOn = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000);
      const updated = await client.updateKeyProperties(name('update'), key.properties.version ?? '', {
        enabled: false,
        notBefore,
        expiresOn,
        tags: { owner: 'team-a', purpose: 'test' },
        keyOps: ['sign', 'verify'],
      });
      assert.equal(updated.properties.enabled, false);
      assert.equal(updated.properties.notBefore?.getTime(), notBefore.getTime());
      assert.equal(updated.properties.expiresOn?.getTime(), expiresOn.getTime());
      assert.deepEqual(updated.properties.tags, { owner: 'team-a', purpose: 'test' });
      assert.deepEqual(updated.keyOperations, ['sign', 'verify']);
      assert.ok((updated.properties.updatedOn?.getTime() ?? 0) >= (key.properties.updatedOn?.getTime() ?? 0));
      const fetched = await client.getKey(name('update'));
      assert.equal(fetched.properties.enabled, false);
    });

    test('lists keys', async () => {
      await client.createEcKey(name('listed'), { curve: 'P-256' });
      const names: string[] = [];
      for await (const properties of client.listPropertiesOfKeys()) names.push(properties.name);
      assert.ok(names.includes(name('listed')));
      assert.equal(new Set(names).size, names.length, 'each key is listed once');
    });

    test('soft delete, get and list deleted, recover, delete again and purge', async () => {
      const key = await client.createEcKey(name('deleted'), { curve: 'P-256', tags: { keep: 'me' } });
      const deleted = await (await client.beginDeleteKey(name('deleted'), poll)).pollUntilDone();
      assert.equal(deleted.properties.recoveryId, `${server.url(host)}/deletedkeys/${name('deleted')}`);
      assert.ok(deleted.properties.deletedOn instanceof Date);
      const retentionMs = (deleted.properties.scheduledPurgeDate?.getTime() ?? 0) - (deleted.properties.deletedOn?.getTime() ?? 0);
      assert.equal(retentionMs, 90 * 86_400_000);
      await assert.rejects(client.getKey(name('deleted')), { statusCode: 404, code: 'KeyNotFound' });

      const fetched = await client.getDeletedKey(name('deleted'));
      assert.equal(fetched.properties.version, key.properties.version);
      const listed: string[] = [];
      for await (const item of client.listDeletedKeys()) listed.push(item.name);
      assert.ok(listed.includes(name('deleted')));

      await assert.rejects(client.createEcKey(name('deleted'), { curve: 'P-256' }), { statusCode: 409, code: 'Conflict' });

      const recovered = await (await client.beginRecoverDeletedKey(name('deleted'), poll)).pollUntilDone();
      assert.equal(recovered.properties.version, key.properties.version);
      assert.deepEqual((await client.getKey(name('deleted'))).properties.tags, { keep: 'me' });

      await (await client.beginDeleteKey(name('deleted'), poll)).pollUntilDone();
      await client.purgeDeletedKey(name('deleted'));
      await assert.rejects(client.getDeletedKey(name('deleted')), { statusCode: 404, code: 'KeyNotFound' });
      // The name is free again after a purge.
      const reborn = await client.createEcKey(name('deleted'), { curve: 'P-256' });
      assert.notEqual(reborn.properties.version, key.properties.version);
    });

    test('imports RSA, EC and AES keys given as JSON Web Keys', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
      const importedRsa = await client.importKey(name('imported-rsa'), toSdkJwk(rsa), { hardwareProtected: true });
      assert.equal(importedRsa.keyType, 'RSA-HSM');
      assert.equal(Buffer.from(importedRsa.key?.n ?? []).toString('base64url'), rsa.n);
      assertNoPrivateMembers(importedRsa.key);

      const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' });
      const importedEc = await client.importKey(name('imported-ec'), toSdkJwk(ec));
      assert.equal(importedEc.key?.crv, 'P-384');
      assert.equal(Buffer.from(importedEc.key?.x ?? []).toString('base64url'), ec.x);

      const importedOct = await client.importKey(name('imported-oct'), { kty: 'oct-HSM', k: randomBytes(32), keyOps: ['wrapKey', 'unwrapKey'] });
      assert.equal(importedOct.keyType, 'oct-HSM');
      assert.deepEqual(importedOct.keyOperations, ['wrapKey', 'unwrapKey']);
      assertNoPrivateMembers(importedOct.key);
    });

    test('refuses an RSA key whose parts do not belong together', async () => {
      const one = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
      await assert.rejects(client.importKey(name('mismatched'), toSdkJwk({ ...one, d: other.d })), {
        statusCode: 400,
        code: 'BadParameter',
      });
      await assert.rejects(client.getKey(name('mismatched')), { statusCode: 404 });
    });
  });
}

function assertNoPrivateMembers(key: SdkJsonWebKey | undefined): void {
  assert.ok(key !== undefined);
  for (const member of PRIVATE_MEMBERS) assert.equal(key[member], undefined, `the key must not carry '${member}'`);
}

/** Node's JWK (base64url strings) → the SDK's JsonWebKey (byte arrays). */
function toSdkJwk(jwk: Record<string, unknown>): SdkJsonWebKey {
  const bytes = (member: string) => (typeof jwk[member] === 'string' ? Buffer.from(jwk[member], 'base64url') : undefined);
  const crv = jwk['crv'] === 'secp256k1' ? 'P-256K' : (jwk['crv'] as SdkJsonWebKey['crv']);
  return {
    kty: jwk['kty'] === 'RSA' ? 'RSA' : 'EC',
    ...(crv === undefined ? {} : { crv }),
    ...Object.fromEntries(['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'x', 'y'].flatMap((m) => (bytes(m) ? [[m, bytes(m)]] : []))),
  };
}
