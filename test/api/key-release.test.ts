/**
 * Issue 11, secure key release over HTTPS against a real server trusting a real attestation authority
 * (harness/attestation-authority.ts, started here, trusted through --attestation-authority and
 * NODE_EXTRA_CA_CERTS): the signed answer's shape, key_hsm opened by the TEE, the versioned, versionless and
 * empty-version paths, every refusal (nothing released), its own data action, and an audit trail that names
 * the key, version and authority but never the token or the key.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { accessToken, apiClient, principalToken, type ClientSecretCredentials } from '../../harness/https-requests.ts';
import { startAttestationAuthority, type TestAttestationAuthority } from '../../harness/attestation-authority.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import type { AuditRecord } from '../../src/domain/audit/audit-record.ts';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';
import { newTee, openKeyHsm, verifyReleaseAnswer } from '../helpers/tee.ts';

let authority: TestAttestationAuthority;
let stranger: TestAttestationAuthority;
let server: TestServer;
let api: ReturnType<typeof apiClient>;
let instanceRoot: string;
const tee = newTee();
const secrets: string[] = [];

const policyFor = (issuer: string, complianceStatus = 'azure-compliant-cvm') => ({
  data: Buffer.from(JSON.stringify({
    version: '1.0.0',
    anyOf: [{
      authority: issuer,
      allOf: [
        { claim: 'x-ms-isolation-tee.x-ms-attestation-type', equals: 'sevsnpvm' },
        { claim: 'x-ms-isolation-tee.x-ms-compliance-status', equals: complianceStatus },
      ],
    }],
  })).toString('base64url'),
});

before(async () => {
  authority = await startAttestationAuthority();
  stranger = await startAttestationAuthority();
  // The audit check at the end reads the SQLite file; release itself touches no storage-specific code.
  server = await startServer({ store: 'sqlite', args: ['--attestation-authority', authority.issuer], env: { NODE_EXTRA_CA_CERTS: authority.caFile } });
  const token = await accessToken(server);
  secrets.push(token);
  api = apiClient(server, token);
  const created = await api.post('/keys/released-rsa/create', { kty: 'RSA', key_size: 2048, attributes: { exportable: true }, release_policy: policyFor(authority.issuer), tags: { team: 'enclaves' } });
  assert.equal(created.status, 200, created.text);
  const attested = await api.get('/keys/released-rsa/attestation');
  assert.equal(attested.status, 200, attested.text);
  const chain = Buffer.from(attested.json.attributes.attestation.certificatePemFile, 'base64url').toString('utf8');
  instanceRoot = chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)?.at(-1) ?? '';
  assert.ok(instanceRoot !== '', 'the instance root, as key attestation publishes it');
});
after(async () => {
  await disposeServer(server);
  await authority.close();
  await stranger.close();
});

async function attest(options: Parameters<TestAttestationAuthority['attest']>[0] = {}): Promise<string> {
  const token = await authority.attest({ teeKey: tee.publicKey, ...options });
  secrets.push(token);
  return token;
}

test('an exportable RSA key is released as a JWS by the instance: the bundle, and key_hsm for the TEE key only', async () => {
  const created = await api.get('/keys/released-rsa');
  const kid: string = created.json.key.kid;
  const version = kid.split('/').at(-1) ?? '';
  const released = await api.post(`/keys/released-rsa/${version}/release`, { target: await attest(), nonce: 'fresh-nonce-1' });
  assert.equal(released.status, 200, released.text);
  assert.deepEqual(Object.keys(released.json), ['value']);
  secrets.push(released.json.value);

  const { header, payload } = verifyReleaseAnswer(released.json.value, instanceRoot);
  assert.equal(header.typ, 'JWT');
  assert.ok(header.kid && header.x5t && header['x5t#S256']);
  assert.deepEqual(payload.request, { 'api-version': '7.6', enc: 'CKM_RSA_AES_KEY_WRAP', kid, nonce: 'fresh-nonce-1' });
  const bundle = payload.response.key;
  assert.equal(bundle.key.kid, kid);
  assert.equal(bundle.key.kty, 'RSA-HSM');
  assert.deepEqual(bundle.key.key_ops, created.json.key.key_ops);
  assert.equal(bundle.key['n'], created.json.key.n);
  assert.equal(bundle.key['e'], created.json.key.e);
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(member in bundle.key, false, `no ${member} in the clear`);
  assert.deepEqual(bundle.attributes, created.json.attributes);
  assert.deepEqual(bundle.tags, { team: 'enclaves' });
  assert.deepEqual(bundle.release_policy, created.json.release_policy);

  const opened = openKeyHsm(bundle.key.key_hsm, tee);
  assert.deepEqual(opened.blob.header, { kid: 'TpmEphemeralEncryptionKey', alg: 'dir', enc: 'CKM_RSA_AES_KEY_WRAP' });
  assert.equal(opened.blob.schema_version, '1.0');
  const privateKey = createPrivateKey({ key: opened.keyBytes, format: 'der', type: 'pkcs8' });
  assert.equal(createPublicKey(privateKey).export({ format: 'jwk' }).n, created.json.key.n, 'the released private key is the key');
  assert.throws(() => openKeyHsm(bundle.key.key_hsm, newTee()), 'another key pair cannot open it');
});

test('the latest version by /keys/{name}/release and /keys/{name}//release; each enc; EC and oct keys', async () => {
  for (const path of ['/keys/released-rsa/release', '/keys/released-rsa//release']) {
    const released = await api.post(path, { target: await attest() });
    assert.equal(released.status, 200, `${path}: ${released.text}`);
    assert.equal(verifyReleaseAnswer(released.json.value, instanceRoot).payload.request.nonce, undefined);
  }
  assert.equal((await api.post('/keys/released-ec/create', { kty: 'EC', crv: 'P-384', attributes: { exportable: true }, release_policy: policyFor(authority.issuer) })).status, 200);
  const ec = await api.get('/keys/released-ec');
  for (const enc of ['CKM_RSA_AES_KEY_WRAP', 'RSA_AES_KEY_WRAP_256', 'RSA_AES_KEY_WRAP_384']) {
    const released = await api.post('/keys/released-ec/release', { target: await attest(), enc });
    assert.equal(released.status, 200, released.text);
    const { payload } = verifyReleaseAnswer(released.json.value, instanceRoot);
    assert.equal(payload.request.enc, enc);
    assert.deepEqual([payload.response.key.key['crv'], payload.response.key.key['x'], payload.response.key.key['y']], [ec.json.key.crv, ec.json.key.x, ec.json.key.y]);
    const opened = openKeyHsm(payload.response.key.key.key_hsm, tee);
    assert.equal(opened.blob.header.enc, enc);
    const jwk = createPublicKey(createPrivateKey({ key: opened.keyBytes, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
    assert.deepEqual([jwk.x, jwk.y], [ec.json.key.x, ec.json.key.y]);
  }
  assert.equal((await api.post('/keys/released-aes/create', { kty: 'oct-HSM', key_size: 256, attributes: { exportable: true }, release_policy: policyFor(authority.issuer) })).status, 200);
  const released = await api.post('/keys/released-aes/release', { target: await attest(), enc: 'RSA_AES_KEY_WRAP_256' });
  assert.equal(released.status, 200, released.text);
  const key = verifyReleaseAnswer(released.json.value, instanceRoot).payload.response.key.key;
  assert.equal(key.kty, 'oct-HSM');
  assert.equal(openKeyHsm(key.key_hsm, tee).keyBytes.length, 32);
});

test('release works outside nbf/exp, not on a disabled key', async () => {
  assert.equal((await api.patch('/keys/released-ec', { attributes: { exp: 1_000_000_000 + 1, nbf: 1_000_000_000 } })).status, 200);
  assert.equal((await api.post('/keys/released-ec/release', { target: await attest() })).status, 200);
  assert.equal((await api.patch('/keys/released-ec', { attributes: { enabled: false } })).status, 200);
  const refused = await api.post('/keys/released-ec/release', { target: await attest() });
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.json.error, { code: 'Forbidden', message: 'Operation release is not allowed on a disabled key.', innererror: { code: 'KeyDisabled' } });
});

test('refusals release nothing: policy mismatch, untrusted, expired, unsigned, forged, not a JWT, not exportable, no TEE key', async () => {
  const release = (body: object, path = '/keys/released-rsa/release') => api.post(path, body);
  const expectRefusal = async (body: object, status: number, code: string, message: RegExp, path?: string) => {
    const answer = await release(body, path);
    assert.equal(answer.status, status, `${JSON.stringify(body).slice(0, 60)}: ${answer.text}`);
    assert.equal(answer.json.error.code, code);
    assert.match(answer.json.error.message, message);
    assert.equal('value' in answer.json, false);
  };
  await expectRefusal({ target: await attest({ claims: { 'x-ms-isolation-tee': { 'x-ms-attestation-type': 'sevsnpvm', 'x-ms-compliance-status': 'debug' } } }) }, 403, 'Forbidden', /does not satisfy the key release policy/);
  const untrusted = await stranger.attest({ teeKey: tee.publicKey });
  await expectRefusal({ target: untrusted }, 403, 'Forbidden', /^Target environment attestation statement cannot be verified: its issuer is not a trusted/);
  await expectRefusal({ target: await attest({ issuer: `${authority.issuer}/` }) }, 403, 'Forbidden', /not a trusted attestation authority/);
  await expectRefusal({ target: await attest({ expiresIn: '-10m' }) }, 403, 'Forbidden', /cannot be verified: the token has expired/);
  await expectRefusal({ target: await attest({ notBefore: '10m' }) }, 403, 'Forbidden', /cannot be verified: the token is not yet valid/);
  await expectRefusal({ target: await attest({ signature: 'none' }) }, 403, 'Forbidden', /cannot be verified: the token is unsigned/);
  await expectRefusal({ target: await attest({ signature: 'forged' }) }, 403, 'Forbidden', /cannot be verified: its signature does not verify/);
  await expectRefusal({ target: 'not-a-jwt' }, 400, 'BadParameter', /must be an attestation token/);
  await expectRefusal({ target: 'e30.e30.' + 'x'.repeat(10) + '$' }, 400, 'BadParameter', /must be an attestation token/);
  await expectRefusal({}, 400, 'BadParameter', /target/);
  await expectRefusal({ target: await attest(), enc: 'RSA-OAEP' }, 400, 'BadParameter', /enc must be one of CKM_RSA_AES_KEY_WRAP/);
  await expectRefusal({ target: await attest({ runtimeKeys: [] }) }, 400, 'BadParameter', /carries no RSA encryption key/);
  await expectRefusal({ target: await attest({ runtimeKeys: [{ ...tee.publicKey.export({ format: 'jwk' }), kid: 'signing-only', use: 'sig' }] }) }, 400, 'BadParameter', /carries no RSA encryption key/);
  assert.equal((await api.post('/keys/plain/create', { kty: 'EC' })).status, 200);
  await expectRefusal({ target: await attest() }, 403, 'Forbidden', /only an exportable key with a release policy/, '/keys/plain/release');
  await expectRefusal({ target: await attest() }, 404, 'KeyNotFound', /missing/, '/keys/missing/release');
});

test('a policy for another authority, or one set by update, decides the release', async () => {
  assert.equal((await api.post('/keys/elsewhere/create', { kty: 'EC', attributes: { exportable: true }, release_policy: policyFor(stranger.issuer) })).status, 200);
  const refused = await api.post('/keys/elsewhere/release', { target: await attest() });
  assert.equal(refused.status, 403, 'a trusted authority the policy does not name');
  assert.equal((await api.patch('/keys/elsewhere', { release_policy: policyFor(authority.issuer) })).status, 200);
  assert.equal((await api.post('/keys/elsewhere/release', { target: await attest() })).status, 200);
  assert.equal((await api.patch('/keys/elsewhere', { release_policy: { data: Buffer.from('{"version":"1.0.0","anyOf":[{"authority":"x"}]}').toString('base64url') } })).status, 400);
});

test('release is its own data action: the Crypto Service Release User releases and reads nothing', async () => {
  const principal = await api.post('/principals', { displayName: 'enclave-broker' });
  assert.equal(principal.status, 201, principal.text);
  const credentials = principal.json.credentials as ClientSecretCredentials;
  const { clientId, clientSecret } = credentials;
  secrets.push(clientSecret);
  const brokerToken = await principalToken(server, credentials);
  const broker = apiClient(server, brokerToken);
  secrets.push(brokerToken);
  assert.equal((await broker.post('/keys/released-rsa/release', { target: await attest() })).status, 403, 'no role yet: denied');
  const assigned = await api.put(`/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: '21dbd100-6940-42c2-9190-5d6cb909625c', principalId: clientId } });
  assert.equal(assigned.status, 201, assigned.text);
  assert.equal((await broker.post('/keys/released-rsa/release', { target: await attest() })).status, 200);
  assert.equal((await broker.get('/keys/released-rsa')).status, 403);
  assert.equal((await broker.post('/keys/released-rsa/sign', { alg: 'RS256', value: Buffer.alloc(32).toString('base64url') })).status, 403);
});

test('the audit log names the key, version and authority of each release, never a token or key material', async () => {
  const versions = new Set((await api.get('/keys/released-rsa/versions')).json.value.map((item: { kid: string }) => item.kid.split('/').at(-1)));
  await server.stop();
  const store = new SqliteStore(join(server.dataDir, 'strongroom.db'));
  const records: AuditRecord[] = await store.reader.audit.queryAuditRecords({ limit: 10_000 });
  await store.close();
  const events = records.filter((r) => r.kind === 'event').map((r) => ({ record: r, entry: JSON.parse(r.body) }));
  const releases = events.filter((e) => e.entry.operationName === 'KeyRelease');
  assert.ok(releases.length >= 10, `release requests are recorded (${releases.length})`);
  const succeeded = releases.filter((e) => e.entry.resultSignature === 'OK' && e.record.keyName === 'released-rsa');
  assert.ok(succeeded.length >= 3);
  for (const { entry } of succeeded) {
    assert.ok(versions.has(String(entry.properties.id).split('/').at(-1)), 'the record names the version released');
    assert.ok(['CKM_RSA_AES_KEY_WRAP', 'RSA_AES_KEY_WRAP_256', 'RSA_AES_KEY_WRAP_384'].includes(entry.properties.alg), 'and the wrap used');
  }
  assert.ok(releases.some((e) => e.entry.resultSignature === 'Forbidden'));
  const everything = JSON.stringify(records);
  for (const secret of secrets) assert.equal(everything.includes(secret), false, 'a token, secret or released answer reached the audit log');
  assert.equal(everything.includes('key_hsm'), false);
  assert.equal(/"(d|k|p|q|dp|dq|qi)":/.test(everything), false, 'no private JWK member');
});
