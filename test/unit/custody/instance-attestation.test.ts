/**
 * The instance attestation identity (src/custody/instance-attestation.ts): the root and signing certificates as
 * openssl reads them, the JWS contract the release and attestation code rely on, that the identity is created
 * once (restart, two nodes racing) and that an upload of another domain re-seals both private keys.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compactVerify, decodeProtectedHeader, importX509 } from 'jose';
import {
  ATTESTATION_ROOT_SETTING,
  ATTESTATION_SIGNING_SETTING,
  openInstanceAttestation,
} from '../../../src/custody/instance-attestation.ts';
import { resealNodeIdentity } from '../../../src/custody/node-identity-settings.ts';
import { sealingKey } from '../../../src/keystore/sealing-key.ts';
import { RootOfTrust } from '../../../src/keystore/root-of-trust.ts';
import { MemoryStore } from '../../../src/storage/memory/memory-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'attestation-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function unlockedRoot(key = randomBytes(32)): RootOfTrust {
  const root = new RootOfTrust('node-identity');
  root.unlock(sealingKey(key));
  return root;
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });

describe('the instance attestation identity', () => {
  it('is a P-384 root CA and an RSA-3072 signing certificate it issued, as openssl reads them', async () => {
    const attestation = await openInstanceAttestation(new MemoryStore(), unlockedRoot());
    assert.equal(attestation.chainPem.length, 2);
    assert.equal(attestation.chainPem[1], attestation.rootCertificatePem);
    const rootFile = join(dir, 'root.pem');
    const signingFile = join(dir, 'signing.pem');
    writeFileSync(rootFile, attestation.rootCertificatePem);
    writeFileSync(signingFile, attestation.chainPem[0]!);
    assert.match(openssl('verify', '-x509_strict', '-CAfile', rootFile, signingFile), /signing\.pem: OK/);
    const rootText = openssl('x509', '-in', rootFile, '-noout', '-text');
    assert.match(rootText, /CA:TRUE, pathlen:0/);
    assert.match(rootText, /NIST CURVE: P-384|secp384r1/);
    assert.match(rootText, /Certificate Sign, CRL Sign/);
    const signingText = openssl('x509', '-in', signingFile, '-noout', '-text');
    assert.match(signingText, /Public-Key: \(3072 bit\)/);
    assert.match(signingText, /CA:FALSE/);
    assert.match(signingText, /Digital Signature/);
    assert.match(signingText, /ecdsa-with-SHA384/);
  });

  it('signs an RS256 compact JWS whose header carries kid, x5t, x5t#S256 and the x5c chain', async () => {
    const attestation = await openInstanceAttestation(new MemoryStore(), unlockedRoot());
    const payload = { hello: 'world', n: 7 };
    const jws = attestation.signJws(payload);
    const header = decodeProtectedHeader(jws);
    const signingDer = new X509Certificate(attestation.chainPem[0]!).raw;
    const rootDer = new X509Certificate(attestation.rootCertificatePem).raw;
    assert.deepEqual(header, {
      alg: 'RS256',
      typ: 'JWT',
      kid: createHash('sha256').update(signingDer).digest('base64url'),
      x5t: createHash('sha1').update(signingDer).digest('base64url'),
      'x5t#S256': createHash('sha256').update(signingDer).digest('base64url'),
      x5c: [signingDer.toString('base64'), rootDer.toString('base64')],
    });
    const verified = await compactVerify(jws, await importX509(attestation.chainPem[0]!, 'RS256'));
    assert.deepEqual(JSON.parse(Buffer.from(verified.payload).toString()), payload);
  });

  it('is created once: a second open of the same store, and two opens racing, give the same identity', async () => {
    const store = new MemoryStore();
    const root = unlockedRoot();
    const [a, b] = await Promise.all([openInstanceAttestation(store, root), openInstanceAttestation(store, root)]);
    assert.deepEqual(a.chainPem, b.chainPem);
    const again = await openInstanceAttestation(store, root);
    assert.deepEqual(again.chainPem, a.chainPem);
    assert.notDeepEqual((await openInstanceAttestation(new MemoryStore(), root)).rootCertificatePem, a.rootCertificatePem);
  });

  it('keeps both private keys sealed, and an upload of another domain re-seals them', async () => {
    const store = new MemoryStore();
    const before = unlockedRoot();
    const first = await openInstanceAttestation(store, before);
    for (const name of [ATTESTATION_ROOT_SETTING, ATTESTATION_SIGNING_SETTING]) {
      const value = (await store.reader.settings.getSetting(name))!;
      assert.doesNotMatch(value, /PRIVATE KEY/);
      assert.deepEqual(Object.keys(JSON.parse(value)).sort(), ['certificatePem', 'sealedPrivateKey']);
    }
    const newKey = randomBytes(32);
    const resealed = await resealNodeIdentity(store.reader.settings, before, sealingKey(newKey));
    const names = resealed.map((setting) => setting.name);
    assert.ok(names.includes(ATTESTATION_ROOT_SETTING) && names.includes(ATTESTATION_SIGNING_SETTING));
    await store.transaction(async (unit) => {
      for (const { name, value } of resealed) await unit.settings.putSetting(name, value);
    });
    const after = await openInstanceAttestation(store, unlockedRoot(newKey));
    assert.deepEqual(after.chainPem, first.chainPem);
    await assert.rejects(openInstanceAttestation(store, before));
  });
});
