/**
 * Cloud HSM's key attributes through the kernel (real SQLite store in memory, real keystore): `trusted` (set
 * only by setKeyTrusted, never at create or import, not carried to a rotated version), `wrapWithTrusted`
 * (default true, settable at create, one-way to true, carried by rotation and by a backup), and export by
 * wrapping against them: exportable is EXTRACTABLE, a wrapWithTrusted key goes only to a trusted wrapping key.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { rsaAesKeyUnwrap } from '../../../src/crypto/rsa-aes-key-wrap.ts';
import { OPERATIONS } from '../../../src/domain/kernel/catalogue.ts';
import { exportKey } from '../../../src/domain/keys/key-export.ts';
import type { CreateKeyRequest } from '../../../src/domain/keys/key-lifecycle.ts';
import { parseTransferBlob } from '../../../src/domain/keys/key-transfer-blob.ts';
import { setKeyTrusted } from '../../../src/domain/keys/key-trust.ts';
import { SqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import { kernelFor } from '../../helpers/kernel.ts';

const ORIGIN = 'https://hsm.localhost';
const POLICY = { data: Buffer.from(JSON.stringify({ version: '1.0.0', anyOf: [{ authority: 'https://attest.localhost', allOf: [{ claim: 'x', equals: 'y' }] }] })).toString('base64url') };

function setup() {
  const store = new SqliteStore(':memory:');
  store.migrate();
  const { kernel, admin, audit, keystore } = kernelFor(store);
  const create = (name: string, request: CreateKeyRequest) => kernel.perform(admin, OPERATIONS.createKey, { name, request });
  const update = (name: string, request: object) => kernel.perform(admin, OPERATIONS.updateKey, { name, request });
  const trust = (name: string, trusted: boolean) => kernel.perform(admin, setKeyTrusted, { name, trusted });
  const exportWith = (name: string, wrapping: { wrappingKid?: string; wrappingKey?: Record<string, unknown> }, enc?: string) =>
    kernel.perform(admin, exportKey, { name, ...wrapping, enc, origin: ORIGIN });
  return { kernel, admin, audit, keystore, store, create, update, trust, exportWith };
}

test('a new key is untrusted and wrapWithTrusted; trusted cannot be set at create; wrapWithTrusted false can, and only becomes true', async () => {
  const { create, update } = setup();
  const key = await create('k', { kty: 'EC' });
  assert.equal(key.attributes.trusted, false);
  assert.equal(key.attributes.wrapWithTrusted, true);
  await assert.rejects(create('t', { kty: 'EC', attributes: { trusted: true } }), { code: 'BadParameter', message: /trusted cannot be set/ });
  await assert.rejects(update('k', { attributes: { wrapWithTrusted: false } }), { code: 'BadParameter', message: /never be relieved/ });
  const loose = await create('loose', { kty: 'EC', attributes: { wrapWithTrusted: false } });
  assert.equal(loose.attributes.wrapWithTrusted, false);
  assert.equal((await update('loose', { attributes: { enabled: false } })).attributes.wrapWithTrusted, false);
  assert.equal((await update('loose', { attributes: { wrapWithTrusted: true } })).attributes.wrapWithTrusted, true);
  await assert.rejects(update('loose', { attributes: { wrapWithTrusted: false } }), { code: 'BadParameter' });
  // updateKey never changes trusted: that is setKeyTrusted's.
  await assert.rejects(update('k', { attributes: { trusted: true } }), { code: 'BadParameter', message: /setKeyTrusted/ });
});

test('setKeyTrusted sets and clears trusted, audited with the value; rotation does not carry trust, but carries wrapWithTrusted', async () => {
  const { kernel, admin, audit, create, trust } = setup();
  await create('kek', { kty: 'RSA', key_size: 2048, attributes: { wrapWithTrusted: false } });
  const trusted = await trust('kek', true);
  assert.equal(trusted.attributes.trusted, true);
  const record = audit.events.map((entry) => entry.event).find((event) => event.operation === 'setKeyTrusted');
  assert.deepEqual(record?.fields, { key: 'kek', version: trusted.version, trusted: true });
  assert.equal(record?.dataAction, 'Microsoft.KeyVault/managedHsm/keys/trusted/write/action');
  const rotated = await kernel.perform(admin, OPERATIONS.rotateKey, { name: 'kek' });
  assert.equal(rotated.attributes.trusted, false);
  assert.equal(rotated.attributes.wrapWithTrusted, false);
  assert.equal((await trust('kek', false)).attributes.trusted, false);
  await assert.rejects(trust('missing', true), { code: 'KeyNotFound' });
});

test('a backup carries trusted and wrapWithTrusted back', async () => {
  const { kernel, admin, create, trust } = setup();
  await create('b', { kty: 'EC', attributes: { wrapWithTrusted: false } });
  await trust('b', true);
  const blob = await kernel.perform(admin, OPERATIONS.backupKey, { name: 'b' });
  await kernel.perform(admin, OPERATIONS.deleteKey, { name: 'b' });
  await kernel.perform(admin, OPERATIONS.purgeDeletedKey, { name: 'b' });
  const restored = await kernel.perform(admin, OPERATIONS.restoreKey, { value: blob });
  assert.equal(restored.attributes.trusted, true);
  assert.equal(restored.attributes.wrapWithTrusted, false);
});

test('export: EXTRACTABLE, trust, key_ops and the wrapping key are checked in order; the blob opens with the wrapping key', async () => {
  const { create, update, trust, exportWith, keystore, audit } = setup();
  await create('fixed', { kty: 'EC' });
  const target = await create('target', { kty: 'EC', attributes: { exportable: true }, release_policy: POLICY });
  const wrapper = await create('wrapper', { kty: 'RSA', key_size: 2048, key_ops: ['wrapKey', 'unwrapKey'] });
  await create('signer', { kty: 'RSA', key_size: 2048, key_ops: ['sign', 'verify'] });
  const wrapperKid = `${ORIGIN}/keys/wrapper`;
  await assert.rejects(exportWith('fixed', { wrappingKid: wrapperKid }), { code: 'Forbidden', inner: 'KeyOperationForbidden', message: /not exportable/ });
  await assert.rejects(exportWith('target', { wrappingKid: wrapperKid }), { code: 'Forbidden', message: /wrapWithTrusted/ });
  await assert.rejects(exportWith('target', { wrappingKid: `${ORIGIN}/keys/signer` }), { code: 'Forbidden', message: /neither wrapKey nor import/ });
  await assert.rejects(exportWith('target', { wrappingKid: `${ORIGIN}/keys/nope` }), { code: 'BadParameter' });
  await assert.rejects(exportWith('target', {}), { code: 'BadParameter', message: /exactly one/ });
  await assert.rejects(exportWith('target', { wrappingKid: wrapperKid }, 'RSA-OAEP'), { code: 'BadParameter', message: /enc must be/ });
  await assert.rejects(exportWith('missing', { wrappingKid: wrapperKid }), { code: 'KeyNotFound' });

  await trust('wrapper', true);
  const exported = await exportWith('target', { wrappingKid: wrapperKid }, 'RSA_AES_KEY_WRAP_256');
  assert.equal(exported.wrappingKid, `${ORIGIN}/keys/wrapper/${wrapper.version}`);
  const blob = parseTransferBlob(exported.keyHsm);
  assert.equal(blob.recipientKid, exported.wrappingKid);
  assert.equal(blob.enc, 'RSA_AES_KEY_WRAP_256');
  const wrapperMaterial = keystore.material(wrapper);
  assert.equal(wrapperMaterial.family, 'RSA');
  const payload = await rsaAesKeyUnwrap(wrapperMaterial.family === 'RSA' ? wrapperMaterial.privateKey : (undefined as never), blob.enc, blob.ciphertext);
  const targetMaterial = keystore.material(target);
  assert.ok(targetMaterial.family === 'EC' && payload.equals(targetMaterial.privateKey.export({ format: 'der', type: 'pkcs8' })));
  const record = audit.events.map((entry) => entry.event).findLast((event) => event.operation === 'exportKey' && event.outcome === 'success');
  assert.deepEqual(record?.fields, { key: 'target', version: target.version, wrappingKid: exported.wrappingKid, alg: 'RSA_AES_KEY_WRAP_256' });

  // An outside key is never trusted: only a key with wrapWithTrusted false goes to it.
  const outside = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
  await assert.rejects(exportWith('target', { wrappingKey: { ...outside, kid: 'https://other.localhost/keys/kek/1' } }), { code: 'Forbidden', message: /wrapWithTrusted/ });
  const loose = await create('loose', { kty: 'oct', key_size: 256, attributes: { exportable: true, wrapWithTrusted: false }, release_policy: POLICY });
  const toOutside = await exportWith('loose', { wrappingKey: { ...outside, kid: 'outside-kek' } });
  assert.equal(parseTransferBlob(toOutside.keyHsm).recipientKid, 'outside-kek');
  await assert.rejects(exportWith('loose', { wrappingKey: { ...outside } }), { code: 'BadParameter', message: /kid/ });
  await assert.rejects(exportWith('loose', { wrappingKey: { ...outside, kid: 'x', key_ops: ['verify'] } }), { code: 'Forbidden' });
  await assert.rejects(exportWith('loose', { wrappingKey: { ...outside, kid: 'x', d: 'AQAB' } }), { code: 'BadParameter', message: /private/ });
  await assert.rejects(exportWith('loose', { wrappingKey: { kty: 'EC', kid: 'x', crv: 'P-256', x: 'AA', y: 'AA' } }), { code: 'BadParameter' });
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  await assert.rejects(exportWith('loose', { wrappingKey: { ...small, kid: 'x' } }), { code: 'BadParameter', message: /2048/ });
  assert.equal(loose.attributes.wrapWithTrusted, false);

  // A disabled key, or a disabled wrapping key, does not leave.
  await update('loose', { attributes: { enabled: false } });
  await assert.rejects(exportWith('loose', { wrappingKey: { ...outside, kid: 'x' } }), { code: 'Forbidden', inner: 'KeyDisabled' });
  await update('wrapper', { attributes: { enabled: false } });
  await assert.rejects(exportWith('target', { wrappingKid: wrapperKid }), { code: 'Forbidden', inner: 'KeyDisabled' });
});
