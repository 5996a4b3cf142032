/**
 * GET /keys/{name}[/{version}]/attestation over real HTTPS: the bundle with `attributes.attestation`, each
 * statement checked here by hand (jose for the signatures, openssl for the chain) against the format of
 * docs/key-attestation.md: RSA and EC keys (public and private statements, the public key equal to the bundle's),
 * oct keys (private statement only, a commitment the key's holder recomputes), the origin of a created and an
 * imported key, the latest-version forms of the path, and getKey's refusals.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compactVerify, importX509 } from 'jose';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';
import { jwkThumbprint } from '../../src/domain/keys/key-attestation-statement.ts';

let server: StartedServer;
let api: ReturnType<typeof apiClient>;
const work = mkdtempSync(join(tmpdir(), 'attestation-api-'));

before(async () => {
  server = await startServer();
  api = apiClient(server, await accessToken(server));
});
after(async () => {
  await disposeServer(server);
  rmSync(work, { recursive: true, force: true });
});

const text = (member: string) => Buffer.from(member, 'base64url').toString('utf8');

/** A statement's payload, once its signature verifies with the x5c signing certificate and the x5c root is the chain's. */
async function statement(jws: string, chainPem: string): Promise<Record<string, any>> {
  const [signingPem, rootPem] = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
  const { payload, protectedHeader } = await compactVerify(jws, await importX509(signingPem!, 'RS256'));
  assert.equal(protectedHeader.alg, 'RS256');
  assert.deepEqual(protectedHeader.x5c, [new X509Certificate(signingPem!).raw.toString('base64'), new X509Certificate(rootPem!).raw.toString('base64')]);
  return JSON.parse(Buffer.from(payload).toString('utf8'));
}

async function attested(path: string) {
  const response = await api.get(path);
  assert.equal(response.status, 200, response.text);
  const attestation = response.json.attributes.attestation;
  const chainPem = text(attestation.certificatePemFile);
  return {
    bundle: response.json,
    text: response.text,
    chainPem,
    privateStatement: await statement(text(attestation.privateKeyAttestation), chainPem),
    publicStatement: attestation.publicKeyAttestation === undefined ? undefined : await statement(text(attestation.publicKeyAttestation), chainPem),
  };
}

describe('key attestation', () => {
  it('attests an RSA key: the chain verifies with openssl, both statements name the kid and the bundle key', async () => {
    const created = await api.post('/keys/att-rsa/create', { kty: 'RSA', key_size: 3072 });
    assert.equal(created.status, 200);
    const kid: string = created.json.key.kid;
    const version = kid.split('/').pop()!;
    const got = await attested(`/keys/att-rsa/${version}/attestation`);
    assert.equal(got.bundle.key.kid, kid);
    assert.equal(got.bundle.key.n, created.json.key.n);
    assert.equal(got.bundle.attributes.hsmPlatform, '0');
    assert.equal(got.bundle.attributes.attestation.version, '1');
    assert.deepEqual(Object.keys(got.bundle.attributes.attestation).sort(), ['certificatePemFile', 'privateKeyAttestation', 'publicKeyAttestation', 'version']);

    const [signingPem, rootPem] = got.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
    writeFileSync(join(work, 'root.pem'), rootPem!);
    writeFileSync(join(work, 'signing.pem'), signingPem!);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', join(work, 'root.pem'), join(work, 'signing.pem')], { encoding: 'utf8' }), /OK/);

    const publicKey = { kty: 'RSA' as const, n: created.json.key.n, e: created.json.key.e };
    assert.deepEqual(
      { ...got.publicStatement, iat: 0 },
      { format: 'strongroom-key-attestation/1', statement: 'public-key', kid, name: 'att-rsa', version, kty: 'RSA-HSM', key_size: 3072, key_ops: created.json.key.key_ops, iat: 0, publicKey, publicKeyThumbprint: jwkThumbprint(publicKey) },
    );
    const privateStatement = got.privateStatement;
    assert.equal(privateStatement.statement, 'private-key');
    assert.equal(privateStatement.kid, kid);
    assert.equal(privateStatement.version, version);
    assert.equal(privateStatement.publicKeyThumbprint, jwkThumbprint(publicKey));
    assert.equal(privateStatement.origin, 'generated');
    assert.equal(privateStatement.exportable, false);
    assert.equal(privateStatement.privateKeyLocation, 'inside-strongroom');
    assert.equal(privateStatement.plaintextExport, false);
    assert.equal(privateStatement.hsmPlatform, '0');
    assert.equal(privateStatement.domainKeyHolder, 'file');
    assert.equal(privateStatement.created, created.json.attributes.created);
    assert.ok(Math.abs(privateStatement.iat - Date.now() / 1000) < 60);
    assert.equal(privateStatement.keyCommitment, undefined);
  });

  it('answers the latest version at /keys/{name}/attestation and /keys/{name}//attestation', async () => {
    await api.post('/keys/att-latest/create', { kty: 'EC' });
    const second = await api.post('/keys/att-latest/create', { kty: 'EC', crv: 'P-384' });
    for (const path of ['/keys/att-latest/attestation', '/keys/att-latest//attestation']) {
      const got = await attested(path);
      assert.equal(got.bundle.key.kid, second.json.key.kid);
      assert.equal(got.publicStatement!.kid, second.json.key.kid);
      assert.deepEqual(got.publicStatement!.publicKey, { kty: 'EC', crv: 'P-384', x: second.json.key.x, y: second.json.key.y });
      assert.equal(got.privateStatement.crv, 'P-384');
      assert.equal(got.privateStatement.kty, 'EC-HSM');
    }
  });

  it('states the origin of a JSON Web Key import as imported', async () => {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const imported = await api.put('/keys/att-imported', { key: { ...jwk, kty: 'RSA', key_ops: ['sign', 'verify'] } });
    assert.equal(imported.status, 200, imported.text);
    const got = await attested('/keys/att-imported/attestation');
    assert.equal(got.privateStatement.origin, 'imported');
    assert.equal(got.publicStatement!.publicKey.n, jwk.n);
    assert.doesNotMatch(got.text, new RegExp(jwk.d!.slice(0, 24)));
  });

  it('attests an oct key with a private statement only, whose commitment the key holder recomputes', async () => {
    const k = randomBytes(32);
    const imported = await api.put('/keys/att-oct', { key: { kty: 'oct-HSM', k: k.toString('base64url'), key_ops: ['wrapKey', 'unwrapKey'] } });
    assert.equal(imported.status, 200, imported.text);
    const version = imported.json.key.kid.split('/').pop();
    const got = await attested('/keys/att-oct/attestation');
    assert.equal(got.bundle.attributes.attestation.publicKeyAttestation, undefined);
    assert.equal(got.publicStatement, undefined);
    const { keyCommitment } = got.privateStatement;
    assert.equal(keyCommitment.alg, 'HMAC-SHA256-LABEL-KEYED');
    assert.equal(keyCommitment.label, `strongroom-key-commitment/1:${version}`);
    assert.equal(keyCommitment.value, createHmac('sha256', keyCommitment.label).update(k).digest('base64url'));
    assert.equal(got.privateStatement.origin, 'imported');
    assert.equal(got.privateStatement.key_size, 256);
    assert.doesNotMatch(got.text, new RegExp(k.toString('base64url')));
    const created = await api.post('/keys/att-oct-made/create', { kty: 'oct-HSM', key_size: 128 });
    assert.equal(created.status, 200, created.text);
    const made = await attested('/keys/att-oct-made/attestation');
    assert.equal(made.privateStatement.origin, 'generated');
    assert.equal(made.privateStatement.key_size, 128);
    assert.match(made.privateStatement.keyCommitment.value, /^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses as getKey does: 404 for a missing key, a missing version and a deleted key', async () => {
    assert.equal((await api.get('/keys/att-nothing/attestation')).json.error.code, 'KeyNotFound');
    await api.post('/keys/att-gone/create', { kty: 'EC' });
    const missingVersion = await api.get(`/keys/att-gone/${'0'.repeat(32)}/attestation`);
    assert.equal(missingVersion.status, 404);
    assert.equal((await api.delete('/keys/att-gone')).status, 200);
    const deleted = await api.get('/keys/att-gone/attestation');
    assert.equal(deleted.status, 404);
    assert.equal(deleted.json.error.code, 'KeyNotFound');
  });
});
