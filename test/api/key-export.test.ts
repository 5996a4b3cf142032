/**
 * Export by wrapping (issue 12, docs/cloud-hsm-keys.md) over real HTTPS, with two servers — two instances, each
 * its own security domain:
 *
 *   move     a key of A with wrapWithTrusted false, exported for B's key-exchange key (its public JWK and kid),
 *            imports into B through the BYOK path: B's copy is A's key (same public key; B's signature verifies
 *            with A's public key)
 *   outside  a blob for an outside RSA key (made by openssl) opens with the openssl CLI to the key's PKCS#8
 *   trusted  a wrapWithTrusted key goes only to a trusted wrapping key of its own instance; once an
 *            administrator marks A's KEK trusted, the exported blob imports back into A
 *   refusals 403 for a non-exportable key, an untrusted wrapping key when trust is required, a wrapping key
 *            without wrapKey/import, an outside key for a wrapWithTrusted key, and a caller without
 *            keys/export/action; 400 for a malformed body; 404 for a missing key
 *   wire     the versionless and versioned paths, every enc, `key.key_hsm` base64url with `header.kid` = the
 *            wrapping key's id, no private JWK member beside it
 *   audit    the record names key, version and wrapping kid; never the blob or material
 */
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, randomUUID, verify } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { accessToken, apiClient, principalToken, type ClientSecretCredentials } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';
import type { AuditRecord } from '../../src/domain/audit/audit-record.ts';
import { opensslKey, opensslRsaAesUnwrap, runOpenssl } from '../helpers/openssl-byok.ts';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';

type Api = ReturnType<typeof apiClient>;
let a: StartedServer;
let b: StartedServer;
let apiA: Api;
let apiB: Api;
const exportedBlobs: string[] = [];

const POLICY = {
  data: Buffer.from(JSON.stringify({ version: '1.0.0', anyOf: [{ authority: 'https://attest.localhost', allOf: [{ claim: 'x', equals: 'y' }] }] })).toString('base64url'),
};
const exportable = (extra: object = {}) => ({ attributes: { exportable: true, ...extra }, release_policy: POLICY });

before(async () => {
  // A's audit check reads its SQLite file; B is on the run's store (PostgreSQL in npm test's second pass).
  [a, b] = await Promise.all([startServer({ store: 'sqlite' }), startServer()]);
  apiA = apiClient(a, await accessToken(a));
  apiB = apiClient(b, await accessToken(b));
});
after(async () => {
  await Promise.all([disposeServer(a), disposeServer(b)]);
});

async function ok(response: Promise<{ status: number; text: string; json: any }>, status = 200) {
  const answered = await response;
  assert.equal(answered.status, status, answered.text);
  return answered.json;
}

const blobOf = (keyHsm: string) => JSON.parse(Buffer.from(keyHsm, 'base64url').toString('utf8')) as { schema_version: string; header: { kid: string; alg: string; enc: string }; ciphertext: string };

describe('moving a key between instances', () => {
  test("A's key, exported for B's key-exchange key, imports into B and is the same key", async () => {
    const original = await ok(apiA.post('/keys/mover/create', { kty: 'EC-HSM', crv: 'P-256', ...exportable({ wrapWithTrusted: false }) }));
    assert.equal(original.attributes.wrapWithTrusted, false);
    const kek = await ok(apiB.post('/keys/b-kek/create', { kty: 'RSA-HSM', key_size: 3072, key_ops: ['import'] }));
    const wrappingKey = { kty: 'RSA', n: kek.key.n, e: kek.key.e, kid: kek.key.kid, key_ops: ['import'] };

    const exported = await ok(apiA.post('/keys/mover/export', { wrappingKey }));
    exportedBlobs.push(exported.key.key_hsm);
    assert.match(exported.key.key_hsm, /^[A-Za-z0-9_-]+$/, 'key_hsm is base64url');
    const blob = blobOf(exported.key.key_hsm);
    assert.equal(blob.header.kid, kek.key.kid);
    assert.deepEqual([blob.header.alg, blob.header.enc], ['dir', 'CKM_RSA_AES_KEY_WRAP']);
    assert.equal(exported.key.kid, original.key.kid);
    assert.deepEqual([exported.key.x, exported.key.y], [original.key.x, original.key.y]);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(exported.key[member], undefined, member);
    assert.equal(exported.attributes.exportable, true);

    const moved = await ok(apiB.put('/keys/moved', { key: { kty: 'EC-HSM', crv: 'P-256', key_ops: ['sign', 'verify'], key_hsm: exported.key.key_hsm } }));
    assert.deepEqual([moved.key.x, moved.key.y], [original.key.x, original.key.y], "B holds A's key");
    const digest = createHash('sha256').update('moved between instances').digest();
    const signed = await ok(apiB.post('/keys/moved/sign', { alg: 'ES256', value: digest.toString('base64url') }));
    const aPublic = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: original.key.x, y: original.key.y }, format: 'jwk' });
    assert.ok(verify('sha256', Buffer.from('moved between instances'), { key: aPublic, dsaEncoding: 'ieee-p1363' }, Buffer.from(signed.value, 'base64url')));
  });

  test('RSA and AES keys move too, with each enc, by the versioned path', async () => {
    const kek = await ok(apiB.post('/keys/b-kek-2/create', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['import'] }));
    const wrappingKey = { kty: 'RSA', n: kek.key.n, e: kek.key.e, kid: kek.key.kid };
    const rsa = await ok(apiA.post('/keys/rsa-mover/create', { kty: 'RSA-HSM', key_size: 2048, ...exportable({ wrapWithTrusted: false }) }));
    const aes = await ok(apiA.post('/keys/aes-mover/create', { kty: 'oct-HSM', key_size: 256, ...exportable({ wrapWithTrusted: false }) }));
    const rsaVersion = rsa.key.kid.split('/').at(-1);
    for (const enc of ['RSA_AES_KEY_WRAP_256', 'RSA_AES_KEY_WRAP_384']) {
      const out = await ok(apiA.post(`/keys/rsa-mover/${rsaVersion}/export`, { wrappingKey, enc }));
      exportedBlobs.push(out.key.key_hsm);
      assert.equal(blobOf(out.key.key_hsm).header.enc, enc);
      const imported = await ok(apiB.put(`/keys/rsa-moved-${enc.slice(-3)}`, { key: { kty: 'RSA-HSM', key_hsm: out.key.key_hsm } }));
      assert.equal(imported.key.n, rsa.key.n);
    }
    const out = await ok(apiA.post('/keys/aes-mover/export', { wrappingKey }));
    exportedBlobs.push(out.key.key_hsm);
    await ok(apiB.put('/keys/aes-moved', { key: { kty: 'oct-HSM', key_ops: ['encrypt', 'decrypt'], key_hsm: out.key.key_hsm } }));
    // Same AES key: what A encrypts, B decrypts.
    const iv = Buffer.alloc(16, 1).toString('base64url');
    const sealed = await ok(apiA.post('/keys/aes-mover/encrypt', { alg: 'A256CBCPAD', value: Buffer.from('same key').toString('base64url'), iv }));
    const opened = await ok(apiB.post('/keys/aes-moved/decrypt', { alg: 'A256CBCPAD', value: sealed.value, iv }));
    assert.equal(Buffer.from(opened.value, 'base64url').toString(), 'same key');
    assert.equal(aes.attributes.wrapWithTrusted, false);
  });
});

describe('an outside wrapping key, opened by openssl', () => {
  test('the blob for an outside RSA key opens with openssl (RSA-OAEP + RFC 5649) to the PKCS#8 of the key', async () => {
    const pem = opensslKey((out) => ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', out]);
    const jwk = createPublicKey(pem).export({ format: 'jwk' });
    const key = await ok(apiA.post('/keys/to-outside/create', { kty: 'EC-HSM', crv: 'P-256', ...exportable({ wrapWithTrusted: false }) }));
    for (const [enc, digest] of [['CKM_RSA_AES_KEY_WRAP', 'sha1'], ['RSA_AES_KEY_WRAP_256', 'sha256']] as const) {
      const exported = await ok(apiA.post('/keys/to-outside/export', { wrappingKey: { ...jwk, kid: 'urn:outside:kek-1' }, enc }));
      exportedBlobs.push(exported.key.key_hsm);
      const blob = blobOf(exported.key.key_hsm);
      assert.equal(blob.header.kid, 'urn:outside:kek-1');
      const pkcs8 = opensslRsaAesUnwrap(pem, Buffer.from(blob.ciphertext, 'base64url'), digest);
      const text = runOpenssl(['pkey', '-inform', 'DER', '-noout', '-text'], pkcs8).toString();
      assert.match(text, /Private-Key: \(256 bit/);
      const pub = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
      assert.deepEqual([pub.x, pub.y], [key.key.x, key.key.y]);
    }
  });
});

describe('wrap with trusted', () => {
  test('a wrapWithTrusted key goes only to a trusted key of its instance; trusted, the blob imports back', async () => {
    const target = await ok(apiA.post('/keys/guarded/create', { kty: 'EC-HSM', crv: 'P-384', ...exportable() }));
    assert.equal(target.attributes.wrapWithTrusted, true, 'the default for keys Strongroom creates');
    const kek = await ok(apiA.post('/keys/a-kek/create', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['import'] }));
    assert.equal(kek.attributes.trusted, false);
    const refused = await apiA.post('/keys/guarded/export', { wrappingKid: kek.key.kid });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error.code, 'Forbidden');
    assert.match(refused.json.error.message, /wrapWithTrusted/);
    const outside = await apiA.post('/keys/guarded/export', { wrappingKey: { kty: 'RSA', n: kek.key.n, e: kek.key.e, kid: kek.key.kid } });
    assert.equal(outside.status, 403, 'an outside key is never trusted, even with a local kid');

    const trusted = await ok(apiA.patch(`/keys/a-kek/${kek.key.kid.split('/').at(-1)}`, { attributes: { trusted: true } }));
    assert.equal(trusted.attributes.trusted, true);
    const exported = await ok(apiA.post(`/keys/guarded/${target.key.kid.split('/').at(-1)}/export`, { wrappingKid: kek.key.kid }));
    exportedBlobs.push(exported.key.key_hsm);
    assert.equal(blobOf(exported.key.key_hsm).header.kid, kek.key.kid);
    const back = await ok(apiA.put('/keys/guarded-copy', { key: { kty: 'EC-HSM', crv: 'P-384', key_hsm: exported.key.key_hsm } }));
    assert.deepEqual([back.key.x, back.key.y], [target.key.x, target.key.y]);
    // A trusted key with wrapKey (not a KEK) wraps too; the versionless kid means its latest version.
    const wrapper = await ok(apiA.post('/keys/a-wrapper/create', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['wrapKey', 'unwrapKey'] }));
    await ok(apiA.patch('/keys/a-wrapper', { attributes: { trusted: true } }));
    const viaWrapper = await ok(apiA.post('/keys/guarded/export', { wrappingKid: `${a.url()}/keys/a-wrapper` }));
    assert.equal(blobOf(viaWrapper.key.key_hsm).header.kid, wrapper.key.kid);
  });
});

describe('refusals', () => {
  test('403 for a non-exportable key, a wrapping key without wrapKey or import; 400 for a bad body; 404 for a missing key', async () => {
    const loose = { kty: 'RSA', kid: 'outside' };
    const kek = await ok(apiB.post('/keys/b-kek-3/create', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['import'] }));
    Object.assign(loose, { n: kek.key.n, e: kek.key.e });
    await ok(apiA.post('/keys/fixed/create', { kty: 'EC-HSM', attributes: { wrapWithTrusted: false } }));
    const fixed = await apiA.post('/keys/fixed/export', { wrappingKey: loose });
    assert.equal(fixed.status, 403);
    assert.equal(fixed.json.error.innererror?.code, 'KeyOperationForbidden');
    assert.match(fixed.json.error.message, /not exportable/);

    await ok(apiA.post('/keys/free/create', { kty: 'EC-HSM', ...exportable({ wrapWithTrusted: false }) }));
    const signer = await ok(apiA.post('/keys/signer/create', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['sign', 'verify'] }));
    await ok(apiA.patch('/keys/signer', { attributes: { trusted: true } }));
    const noWrap = await apiA.post('/keys/free/export', { wrappingKid: signer.key.kid });
    assert.equal(noWrap.status, 403, noWrap.text);
    assert.match(noWrap.json.error.message, /neither wrapKey nor import/);
    assert.equal((await apiA.post('/keys/free/export', { wrappingKey: { ...loose, key_ops: ['verify'] } })).status, 403);

    for (const body of [{}, { wrappingKid: signer.key.kid, wrappingKey: loose }, { wrappingKey: loose, enc: 'RSA-OAEP' }, { wrappingKey: { ...loose, kid: undefined } }, { wrappingKey: { ...loose, d: 'AQAB' } }, { wrappingKid: 'not-a-url' }, { wrappingKid: `${a.url()}/keys/nope` }]) {
      const answered = await apiA.post('/keys/free/export', body);
      assert.equal(answered.status, 400, `${JSON.stringify(body)}: ${answered.text}`);
      assert.equal(answered.json.error.code, 'BadParameter');
    }
    assert.equal((await apiA.post('/keys/missing/export', { wrappingKey: loose })).status, 404);
  });

  test('403 for a caller without keys/export/action (Crypto User), who may still read the key; Crypto Officer may export', async () => {
    const principal = await ok(apiA.post('/principals', { displayName: 'exporter' }), 201);
    const credentials = principal.credentials as ClientSecretCredentials;
    const { clientId } = credentials;
    const caller = apiClient(a, await principalToken(a, credentials));
    const assign = (role: string) => ok(apiA.put(`/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: role, principalId: clientId } }), 201);
    await assign('21dbd100-6940-42c2-9190-5d6cb909625b'); // Crypto User
    const kek = await ok(apiB.get('/keys/b-kek'));
    const wrappingKey = { kty: 'RSA', n: kek.key.n, e: kek.key.e, kid: kek.key.kid };
    assert.equal((await caller.get('/keys/mover')).status, 200);
    const denied = await caller.post('/keys/mover/export', { wrappingKey });
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.json.error.innererror?.code, 'ForbiddenByRbac');
    // Nor may a Crypto User mark a key trusted (keys/trusted/write/action), though it may update it.
    const trusting = await caller.patch('/keys/mover', { attributes: { trusted: true } });
    assert.equal(trusting.status, 403, trusting.text);
    assert.equal((await caller.patch('/keys/mover', { tags: { by: 'crypto-user' } })).status, 200);
    await assign('515eb02d-2335-4d2d-92f2-b1cbdf9c3778'); // Crypto Officer
    const allowed = await ok(caller.post('/keys/mover/export', { wrappingKey }));
    exportedBlobs.push(allowed.key.key_hsm);
  });
});

describe('the audit log', () => {
  test('names the key, version and wrapping kid of each export, never a blob or material', async () => {
    await a.stop();
    const store = new SqliteStore(join(a.dataDir, 'strongroom.db'));
    const records: AuditRecord[] = await store.reader.audit.queryAuditRecords({ limit: 10_000 });
    await store.close();
    const entries = records.filter((r) => r.kind === 'event').map((r) => JSON.parse(r.body));
    const exports = entries.filter((entry) => entry.operationName === 'KeyExport' && entry.properties.dataAction !== undefined);
    const succeeded = exports.filter((entry) => entry.resultSignature === 'OK');
    assert.ok(succeeded.length >= 6, `exports are recorded (${succeeded.length})`);
    for (const entry of succeeded) {
      assert.match(entry.properties.id, /^\/keys\/[a-z-]+\/[0-9a-f]{32}$/, 'the record names the version exported');
      assert.equal(entry.properties.dataAction, 'Microsoft.KeyVault/managedHsm/keys/export/action');
    }
    assert.ok(exports.some((entry) => entry.resultSignature === 'Forbidden'));
    const trustChanges = entries.filter((entry) => entry.properties.dataAction === 'Microsoft.KeyVault/managedHsm/keys/trusted/write/action');
    assert.ok(trustChanges.some((entry) => entry.resultSignature === 'OK' && /^\/keys\/a-kek\/[0-9a-f]{32}$/.test(entry.properties.id)), 'marking a key trusted is recorded');
    const everything = JSON.stringify(records);
    for (const blob of exportedBlobs) assert.equal(everything.includes(blob.slice(0, 40)), false, 'an exported blob reached the audit log');
    assert.equal(everything.includes('key_hsm'), false);
    assert.equal(/"(d|k|p|q|dp|dq|qi)":/.test(everything), false, 'no private JWK member');
  });

  test('the records carry the wrapping kid and the trusted value (audit fields wrappingKid, trusted)', async () => {
    const store = new SqliteStore(join(a.dataDir, 'strongroom.db'));
    const records: AuditRecord[] = await store.reader.audit.queryAuditRecords({ limit: 10_000 });
    await store.close();
    const entries = records.filter((r) => r.kind === 'event').map((r) => JSON.parse(r.body));
    const exported = entries.filter((entry) => entry.operationName === 'KeyExport' && entry.resultSignature === 'OK' && entry.properties.dataAction !== undefined);
    assert.ok(exported.length > 0 && exported.every((entry) => typeof entry.properties.wrappingKid === 'string' && entry.properties.wrappingKid.length > 0), 'each export names its wrapping kid');
    assert.ok(exported.some((entry) => entry.properties.wrappingKid === 'urn:outside:kek-1'), 'an outside key is named by its own kid');
    const trusted = entries.filter((entry) => entry.properties.dataAction === 'Microsoft.KeyVault/managedHsm/keys/trusted/write/action' && entry.resultSignature === 'OK');
    assert.ok(trusted.length > 0 && trusted.every((entry) => entry.properties.trusted === true));
  });
});
