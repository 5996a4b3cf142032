import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { domainKeyFromBytes, legacyKekFingerprint } from '../../../src/custody/domain-key.ts';
import { SealedBlobError } from '../../../src/keystore/sealing-key.ts';

const keys = domainKeyFromBytes(randomBytes(32)).derive('key-material');

test('sealed material opens only under the context it was sealed for', () => {
  const secret = randomBytes(48);
  const sealed = keys.seal(secret, 'key/a/0001');
  assert.deepEqual(keys.unseal(sealed, 'key/a/0001'), secret);
  assert.equal(sealed.indexOf(secret), -1);
  assert.throws(() => keys.unseal(sealed, 'key/b/0001'), SealedBlobError);
  assert.throws(() => keys.unseal(sealed, 'key/a/0002'), SealedBlobError);
});

test('sealing twice gives different blobs (fresh IV each time)', () => {
  const secret = randomBytes(32);
  assert.notDeepEqual(keys.seal(secret, 'c'), keys.seal(secret, 'c'));
});

test('any altered byte, a truncated blob, or another domain is refused', () => {
  const sealed = keys.seal(randomBytes(32), 'ctx');
  for (let index = 0; index < sealed.length; index++) {
    const altered = Buffer.from(sealed);
    altered[index] = (altered[index] ?? 0) ^ 0x01;
    assert.throws(() => keys.unseal(altered, 'ctx'), SealedBlobError, `byte ${index}`);
  }
  assert.throws(() => keys.unseal(sealed.subarray(0, 20), 'ctx'), SealedBlobError);
  assert.throws(() => domainKeyFromBytes(randomBytes(32)).derive('key-material').unseal(sealed, 'ctx'), SealedBlobError);
});

test('each purpose gets its own key: what one seals, the others cannot open', () => {
  const domain = domainKeyFromBytes(randomBytes(32));
  const [node, material, backup] = (['node-identity', 'key-material', 'backup'] as const).map((purpose) => domain.derive(purpose));
  assert.equal(new Set([node?.id, material?.id, backup?.id]).size, 3);
  assert.throws(() => material?.unseal(node?.seal(randomBytes(16), 'ctx') ?? Buffer.alloc(0), 'ctx'), SealedBlobError);
  assert.throws(() => backup?.unseal(material?.seal(randomBytes(16), 'ctx') ?? Buffer.alloc(0), 'ctx'), SealedBlobError);
  assert.equal(domain.derive('key-material').id, material?.id, 'derivation is deterministic');
});

test('the domain id names the domain without revealing it, and differs from the first release fingerprint', () => {
  const bytes = randomBytes(32);
  const domain = domainKeyFromBytes(bytes);
  assert.equal(domain.id, domainKeyFromBytes(Buffer.from(bytes)).id);
  assert.notEqual(domain.id, domainKeyFromBytes(randomBytes(32)).id);
  assert.match(domain.id, /^[0-9a-f]{32}$/);
  assert.notEqual(domain.id, legacyKekFingerprint(bytes));
  assert.equal(domain.id.includes(bytes.toString('hex').slice(0, 16)), false);
});

test('the derivations are those of the first release key-encryption key, so a migrated instance re-seals nothing', () => {
  // The first release derived `strongroom/<purpose>/v1` with HKDF-SHA256 and no salt from its KEK file.
  const bytes = randomBytes(32);
  const sealedByFirstRelease = domainKeyFromBytes(bytes).derive('key-material').seal(Buffer.from('material'), 'key/a/1');
  assert.deepEqual(domainKeyFromBytes(bytes).derive('key-material').unseal(sealedByFirstRelease, 'key/a/1'), Buffer.from('material'));
  const legacy = domainKeyFromBytes(bytes).legacy;
  assert.deepEqual(legacy.unseal(legacy.seal(Buffer.from('v1'), 'ctx'), 'ctx'), Buffer.from('v1'));
});
