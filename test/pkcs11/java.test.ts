/**
 * Issue 13: Java 17's SunPKCS11 provider uses Strongroom keys: the KeyStore lists each key (the module's
 * generate_certs gives each a self-signed certificate), SHA256withRSA, RSASSA-PSS and SHA256withECDSA sign
 * (each signature checked here with the plain public key from the REST API), and RSA decryption works.
 */
import assert from 'node:assert/strict';
import { constants, verify, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { libraryPath, startFixture, type Fixture } from './helpers/fixture.ts';
import { commandExists, publicKeyOf, runAsync } from './helpers/run.ts';

let f: Fixture;
const pub: Record<string, KeyObject> = {};
const data = Buffer.from('signed by Java through SunPKCS11\n');

describe('Java SunPKCS11 with the module', { timeout: 180_000 }, () => {
  before(async () => {
    f = await startFixture({ config: { generate_certs: true } });
    pub['java-rsa'] = publicKeyOf(await f.createKey({ name: 'java-rsa', kty: 'RSA' }));
    pub['java-ec'] = publicKeyOf(await f.createKey({ name: 'java-ec', kty: 'EC', crv: 'P-256' }));
  });
  after(async () => { await f?.stop(); });

  it('lists, signs and decrypts', async () => {
    assert.ok(commandExists('java'), 'java is missing: run .ci/pkcs11-setup.sh');
    const cfg = join(f.dir, 'sunpkcs11.cfg');
    writeFileSync(cfg, `name = Strongroom\nlibrary = ${libraryPath}\nslot = 0\n`);
    const r = await runAsync('java', [join(import.meta.dirname, 'java', 'StrongroomJca.java'), cfg, f.dir, 'java-rsa', 'java-ec'], { env: f.env });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /alias java-rsa key=true cert=true/);
    assert.match(r.stdout, /alias java-ec key=true cert=true/);
    assert.match(r.stdout, /decrypted a secret for the token/);
    assert.match(r.stdout, /p11-verify true/);
    const sig = (name: string) => readFileSync(join(f.dir, name));
    assert.ok(verify('sha256', data, pub['java-rsa']!, sig('java-rs256.sig')), 'SHA256withRSA');
    assert.ok(verify('sha256', data, { key: pub['java-rsa']!, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig('java-ps256.sig')), 'RSASSA-PSS');
    assert.ok(verify('sha256', data, pub['java-ec']!, sig('java-es256.sig')), 'SHA256withECDSA');
  });
});
