/**
 * Issue 11: `KeyClient.releaseKey` of the unmodified @azure/keyvault-keys against a real server that trusts a
 * real attestation authority (started here; --attestation-authority, NODE_EXTRA_CA_CERTS). The test plays the
 * TEE: its own RSA key pair, a token from the authority carrying that key, then it checks the answer offline —
 * the JWS against its x5c chain and the instance root exported by `strongroom attestation root` — opens key_hsm
 * with its private key, and checks the released key is the key: RSA and EC by their public keys, oct by
 * decrypting what the service encrypted with it. Every `enc`, and the version option.
 */
import assert from 'node:assert/strict';
import { createDecipheriv, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { KeyClient } from '@azure/keyvault-keys';
import { runStrongroom } from '../../harness/cli-process.ts';
import { startAttestationAuthority, type TestAttestationAuthority } from '../../harness/attestation-authority.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { cryptographyClientFor, keyClientFor } from '../helpers/sdk.ts';
import { newTee, openKeyHsm, verifyReleaseAnswer } from '../helpers/tee.ts';

let authority: TestAttestationAuthority;
let server: TestServer;
let client: KeyClient;
let instanceRoot: string;
const tee = newTee(3072);

const releasePolicy = () => ({
  encodedPolicy: new TextEncoder().encode(JSON.stringify({
    version: '1.0.0',
    anyOf: [{ authority: authority.issuer, allOf: [{ claim: 'x-ms-isolation-tee.x-ms-compliance-status', equals: 'azure-compliant-cvm' }] }],
  })),
  immutable: true,
});

before(async () => {
  authority = await startAttestationAuthority();
  // The CLI reads the instance root from the store by --data-dir, which holds it in SQLite.
  server = await startServer({ store: 'sqlite', args: ['--attestation-authority', authority.issuer], env: { NODE_EXTRA_CA_CERTS: authority.caFile } });
  client = keyClientFor(server);
  await client.createEcKey('warm-up', { curve: 'P-256' });
  const root = await runStrongroom(['attestation', 'root', '--json'], { dataDir: server.dataDir });
  assert.equal(root.code, 0, root.stderr);
  instanceRoot = (JSON.parse(root.stdout) as { pem: string }).pem;
});
after(async () => {
  await disposeServer(server);
  await authority.close();
});

const attest = () => authority.attest({ teeKey: tee.publicKey, teeKid: 'tee-key-1' });

test('an RSA key, released with each enc (and by version), opens to the key', async () => {
  const key = await client.createRsaKey('sdk-released-rsa', { keySize: 3072, exportable: true, releasePolicy: releasePolicy() });
  assert.equal(key.properties.exportable, true);
  assert.equal(key.properties.releasePolicy?.immutable, true);
  for (const algorithm of [undefined, 'CKM_RSA_AES_KEY_WRAP', 'RSA_AES_KEY_WRAP_256', 'RSA_AES_KEY_WRAP_384'] as const) {
    const nonce = randomBytes(8).toString('hex');
    const result = await client.releaseKey('sdk-released-rsa', await attest(), { nonce, ...(algorithm === undefined ? {} : { algorithm }), version: key.properties.version });
    const { payload } = verifyReleaseAnswer(result.value, instanceRoot);
    assert.deepEqual(payload.request, { 'api-version': '2025-07-01', enc: algorithm ?? 'CKM_RSA_AES_KEY_WRAP', kid: key.id, nonce });
    const opened = openKeyHsm(payload.response.key.key.key_hsm, tee);
    assert.deepEqual(opened.blob.header, { kid: 'tee-key-1', alg: 'dir', enc: algorithm ?? 'CKM_RSA_AES_KEY_WRAP' });
    const released = createPublicKey(createPrivateKey({ key: opened.keyBytes, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
    assert.equal(released.n, Buffer.from(key.key?.n ?? []).toString('base64url'));
    assert.equal(released.e, 'AQAB');
  }
});

test('an EC key (latest version, no version option) opens to the key', async () => {
  const key = await client.createEcKey('sdk-released-ec', { curve: 'P-256K', exportable: true, releasePolicy: releasePolicy() });
  const result = await client.releaseKey('sdk-released-ec', await attest(), { algorithm: 'RSA_AES_KEY_WRAP_256' });
  const { payload } = verifyReleaseAnswer(result.value, instanceRoot);
  assert.equal(payload.request.kid, key.id);
  assert.equal(payload.response.key.key.kty, 'EC-HSM');
  const released = createPublicKey(createPrivateKey({ key: openKeyHsm(payload.response.key.key.key_hsm, tee).keyBytes, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
  assert.deepEqual([released.crv, released.x, released.y], ['secp256k1', Buffer.from(key.key?.x ?? []).toString('base64url'), Buffer.from(key.key?.y ?? []).toString('base64url')]);
});

test('an oct key opens to the AES key: it decrypts what the service encrypted', async () => {
  const key = await client.createOctKey('sdk-released-aes', { hsm: true, keySize: 256, keyOps: ['encrypt', 'decrypt'], exportable: true, releasePolicy: releasePolicy() });
  const plaintext = Buffer.from('sealed for the enclave');
  const encrypted = await cryptographyClientFor(server, key.id ?? '').encrypt({ algorithm: 'A256GCM', plaintext });
  const result = await client.releaseKey('sdk-released-aes', await attest(), { algorithm: 'RSA_AES_KEY_WRAP_384' });
  const { payload } = verifyReleaseAnswer(result.value, instanceRoot);
  const aesKey = openKeyHsm(payload.response.key.key.key_hsm, tee).keyBytes;
  const decipher = createDecipheriv('aes-256-gcm', aesKey, encrypted.iv ?? new Uint8Array());
  decipher.setAuthTag(encrypted.authenticationTag ?? new Uint8Array());
  assert.deepEqual(Buffer.concat([decipher.update(encrypted.result), decipher.final()]), plaintext);
});

test('the SDK sees the refusals: a token the policy refuses (403), an immutable policy that cannot change (400)', async () => {
  const mismatch = await authority.attest({ teeKey: tee.publicKey, claims: { 'x-ms-isolation-tee': { 'x-ms-compliance-status': 'debug' } } });
  await assert.rejects(client.releaseKey('sdk-released-ec', mismatch), { statusCode: 403, code: 'Forbidden' });
  await assert.rejects(client.releaseKey('sdk-released-ec', 'not-a-token'), { statusCode: 400, code: 'BadParameter' });
  await assert.rejects(client.updateKeyProperties('sdk-released-ec', { releasePolicy: { ...releasePolicy(), immutable: false } }), {
    statusCode: 400,
    message: 'AKV.SKR.1020: Immutable Key Release Policy cannot be modified.',
  });
});
