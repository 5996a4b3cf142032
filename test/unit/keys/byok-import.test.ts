/**
 * BYOK import through the kernel, on a real SQLite store (in memory) and a real keystore, with a clock the test
 * moves: the stored version's origin is 'byok', the audit event of the import names the KEK version it used
 * (and nothing of the blob), a KEK that expires as the clock passes its exp stops importing, and a refused
 * import stores nothing. The blob's ciphertext is made by the openssl CLI.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { OPERATIONS } from '../../../src/domain/kernel/catalogue.ts';
import { SqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import { kernelFor } from '../../helpers/kernel.ts';
import { opensslRsaAesWrap } from '../../helpers/openssl-byok.ts';

function setup() {
  const store = new SqliteStore(':memory:');
  store.migrate();
  const { kernel, clock, admin, audit } = kernelFor(store);
  return { store, kernel, clock, admin, audit };
}

test('a BYOK import is stored with origin byok, and its audit event names the KEK version', async () => {
  const { store, kernel, clock, admin, audit } = setup();
  const kek = await kernel.perform(admin, OPERATIONS.createKey, {
    name: 'kek',
    request: { kty: 'RSA-HSM', key_size: 2048, key_ops: ['import'], attributes: { exp: clock.now + 3600 } },
  });
  const kekPem = createPublicKey({ key: { kty: 'RSA', ...kek.publicJwk } as { kty: 'RSA'; n: string; e: string }, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' }).toString();
  const target = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const ciphertext = opensslRsaAesWrap(kekPem, target.export({ type: 'pkcs8', format: 'der' })).toString('base64url');
  const kid = `https://strongroom.example/keys/kek/${kek.version}`;
  const keyHsm = Buffer.from(JSON.stringify({ schema_version: '1.0.0', header: { kid, alg: 'dir', enc: 'CKM_RSA_AES_KEY_WRAP' }, ciphertext })).toString('base64');
  const importing = (name: string) => kernel.perform(admin, OPERATIONS.importKey, { name, request: { key: { kty: 'EC-HSM', crv: 'P-256', key_hsm: keyHsm } } });

  const imported = await importing('brought');
  assert.equal(imported.origin, 'byok');
  assert.equal((await store.reader.keys.getKeyVersion('brought', imported.version))?.origin, 'byok');
  assert.deepEqual(imported.publicJwk, { crv: 'P-256', ...pick(createPublicKey(target).export({ format: 'jwk' })) });
  const event = audit.events.map((e) => e.event).find((e) => e.operation === 'importKey' && e.outcome === 'success');
  assert.deepEqual(event?.fields, { key: 'brought', version: imported.version, kek: 'kek', kekVersion: kek.version });

  clock.now += 3600;
  await assert.rejects(importing('too-late'), (error: Error & { code?: string }) => error.code === 'BadParameter' && /expired at/.test(error.message));
  assert.equal(await store.reader.keys.getKeyVersion('too-late', undefined), undefined);
  const refused = audit.events.map((e) => e.event).find((e) => e.operation === 'importKey' && e.outcome === 'failure');
  assert.deepEqual(refused?.fields, { key: 'too-late', kek: 'kek', kekVersion: kek.version });
});

function pick(jwk: { x?: string | undefined; y?: string | undefined }) {
  return { x: jwk.x, y: jwk.y };
}
