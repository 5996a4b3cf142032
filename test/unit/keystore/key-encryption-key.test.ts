import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keyEncryptionKeyFromBytes, loadOrCreateKeyEncryptionKeyFile } from '../../../src/keystore/key-encryption-key.ts';
import { SealedBlobError } from '../../../src/keystore/sealing-key.ts';

const kek = keyEncryptionKeyFromBytes(randomBytes(32)).derive('key-material');

test('sealed material opens only under the context it was sealed for', () => {
  const secret = randomBytes(48);
  const sealed = kek.seal(secret, 'key/a/0001');
  assert.deepEqual(kek.unseal(sealed, 'key/a/0001'), secret);
  assert.equal(sealed.indexOf(secret), -1);
  assert.throws(() => kek.unseal(sealed, 'key/b/0001'), SealedBlobError);
  assert.throws(() => kek.unseal(sealed, 'key/a/0002'), SealedBlobError);
});

test('sealing twice gives different blobs (fresh IV each time)', () => {
  const secret = randomBytes(32);
  assert.notDeepEqual(kek.seal(secret, 'c'), kek.seal(secret, 'c'));
});

test('any altered byte, a truncated blob, or another KEK is refused', () => {
  const sealed = kek.seal(randomBytes(32), 'ctx');
  for (let index = 0; index < sealed.length; index++) {
    const altered = Buffer.from(sealed);
    altered[index] = (altered[index] ?? 0) ^ 0x01;
    assert.throws(() => kek.unseal(altered, 'ctx'), SealedBlobError, `byte ${index}`);
  }
  assert.throws(() => kek.unseal(sealed.subarray(0, 20), 'ctx'), SealedBlobError);
  assert.throws(() => keyEncryptionKeyFromBytes(randomBytes(32)).derive('key-material').unseal(sealed, 'ctx'), SealedBlobError);
});

test('the KEK file is created 0600, reloads to the same key, and is refused when others can read it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-kek-'));
  try {
    const path = join(dir, 'kek');
    const created = loadOrCreateKeyEncryptionKeyFile(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(loadOrCreateKeyEncryptionKeyFile(path).fingerprint, created.fingerprint);
    chmodSync(path, 0o644);
    assert.throws(() => loadOrCreateKeyEncryptionKeyFile(path), /readable by other users/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each purpose gets its own key: what one seals, the other cannot open', () => {
  const source = keyEncryptionKeyFromBytes(randomBytes(32));
  const node = source.derive('node-identity');
  const keys = source.derive('key-material');
  assert.notEqual(node.id, keys.id);
  assert.throws(() => keys.unseal(node.seal(randomBytes(16), 'ctx'), 'ctx'), SealedBlobError);
  assert.equal(source.derive('key-material').id, keys.id, 'derivation is deterministic');
});
