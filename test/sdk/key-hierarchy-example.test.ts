/**
 * The worked example of docs/key-hierarchies.md, run as written: envelope encryption with one key-encryption key
 * (KEK) in Strongroom and a fresh data-encryption key (DEK) per object, through the unmodified SDK. Kept as a test
 * so the page cannot drift from what the service does.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { CryptographyClient, type KeyClient } from '@azure/keyvault-keys';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { credentialFor, keyClientFor } from '../helpers/sdk.ts';

let server: TestServer;
let keys: KeyClient;
before(async () => {
  server = await startServer();
  keys = keyClientFor(server, 'hierarchy.vault.localhost');
});
after(async () => { await disposeServer(server); });

interface Envelope {
  kid: string;
  wrappedKey: Buffer;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

test('envelope encryption: a DEK per object, wrapped by one KEK; unwrap once, then decrypt locally', async () => {
  // 1. One KEK, made once; it never leaves the service and can only wrap and unwrap.
  const kek = await keys.createRsaKey('orders-kek', { keySize: 3072, keyOps: ['wrapKey', 'unwrapKey'] });
  // 2. One CryptographyClient per KEK, built from the KeyVaultKey already in hand, kept for the process's life.
  const crypto = new CryptographyClient(kek, credentialFor(server), {
    agent: server.agent,
    disableChallengeResourceVerification: false,
  });

  // 3. Encrypt: a fresh DEK, AES-256-GCM locally, the DEK wrapped by the KEK (RSA-OAEP-256, in the service).
  async function seal(plaintext: Buffer): Promise<Envelope> {
    const dek = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dek, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const wrapped = await crypto.wrapKey('RSA-OAEP-256', dek);
    dek.fill(0);
    return { kid: wrapped.keyID ?? '', wrappedKey: Buffer.from(wrapped.result), iv, tag: cipher.getAuthTag(), ciphertext };
  }

  // 4. Decrypt: unwrap the DEK (one service call), then AES locally.
  async function open(envelope: Envelope): Promise<Buffer> {
    const { result: dek } = await crypto.unwrapKey('RSA-OAEP-256', envelope.wrappedKey);
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(dek), envelope.iv);
    decipher.setAuthTag(envelope.tag);
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
  }

  const order = Buffer.from(JSON.stringify({ id: 42, total: '99.50' }));
  const envelope = await seal(order);
  assert.match(envelope.kid, /\/keys\/orders-kek\/[0-9a-f]{32}$/, 'the envelope records which KEK version wrapped it');
  assert.deepEqual(await open(envelope), order);

  // 5. Rotation: a new KEK version wraps new DEKs; envelopes keep naming the version that wrapped them, which
  //    still unwraps them (a CryptographyClient on that exact version id).
  const rotated = await keys.rotateKey('orders-kek');
  assert.notEqual(rotated.properties.version, kek.properties.version);
  const olderKek = new CryptographyClient(envelope.kid, credentialFor(server), { agent: server.agent });
  const { result: dek } = await olderKek.unwrapKey('RSA-OAEP-256', envelope.wrappedKey);
  assert.equal(dek.length, 32);
});
