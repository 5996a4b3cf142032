/**
 * Issue 13: OpenSSL 3 uses Strongroom keys by pkcs11: URI, through pkcs11-provider (Debian 12 backports) and
 * through the libp11 engine: pkeyutl -sign (checked with the plain public key) and -decrypt, and req -x509
 * (the self-signed certificate verified with `openssl verify` and node:crypto).
 */
import assert from 'node:assert/strict';
import { constants, createHash, publicEncrypt, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { libraryPath, startFixture, type Fixture } from './helpers/fixture.ts';
import { engineConf, enginePath, providerConf, providerPath } from './helpers/openssl-conf.ts';
import { publicKeyOf, runOk } from './helpers/run.ts';

let f: Fixture;
const pub: Record<string, KeyObject> = {};
const data = Buffer.from('signed by openssl through the Strongroom PKCS#11 module\n');

const modes = [
  { name: 'pkcs11-provider', present: () => providerPath !== undefined, conf: () => providerConf(f.dir, libraryPath), engine: [] as string[] },
  { name: 'libp11 engine', present: () => enginePath !== undefined, conf: () => engineConf(f.dir, libraryPath), engine: ['-engine', 'pkcs11', '-keyform', 'engine'] },
];

describe('OpenSSL with the module', { timeout: 180_000 }, () => {
  before(async () => {
    f = await startFixture();
    pub['ossl-rsa'] = publicKeyOf(await f.createKey({ name: 'ossl-rsa', kty: 'RSA' }));
    pub['ossl-ec'] = publicKeyOf(await f.createKey({ name: 'ossl-ec', kty: 'EC', crv: 'P-256' }));
    writeFileSync(join(f.dir, 'data.bin'), data);
    writeFileSync(join(f.dir, 'digest.bin'), createHash('sha256').update(data).digest());
  });
  after(async () => { await f?.stop(); });

  for (const mode of modes) {
    describe(mode.name, () => {
      const openssl = (...args: string[]) => runOk('openssl', args, { ...f.env, OPENSSL_CONF: mode.conf() });
      const uri = (name: string) => `pkcs11:object=${name};type=private`;
      const engineSuffix = mode.engine.length > 0 ? [...mode.engine] : [];

      it('is installed', () => assert.ok(mode.present(), `${mode.name} is missing: run .ci/pkcs11-setup.sh`));

      it('pkeyutl -sign: RSA PKCS#1, RSA-PSS and ECDSA over a SHA-256 digest', () => {
        const digest = join(f.dir, 'digest.bin');
        const sig = join(f.dir, `sig-${mode.engine.length}.bin`);
        const head = mode.engine.length > 0 ? ['pkeyutl', '-engine', 'pkcs11', '-keyform', 'engine'] : ['pkeyutl'];
        openssl(...head, '-sign', '-inkey', uri('ossl-rsa'), '-in', digest, '-out', sig, '-pkeyopt', 'digest:sha256');
        assert.ok(verify('sha256', data, pub['ossl-rsa']!, readFileSync(sig)), 'RSA PKCS#1');
        openssl(...head, '-sign', '-inkey', uri('ossl-rsa'), '-in', digest, '-out', sig, '-pkeyopt', 'digest:sha256',
          '-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', 'rsa_pss_saltlen:digest');
        assert.ok(verify('sha256', data, { key: pub['ossl-rsa']!, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, readFileSync(sig)), 'RSA-PSS');
        openssl(...head, '-sign', '-inkey', uri('ossl-ec'), '-in', digest, '-out', sig);
        assert.ok(verify('sha256', data, pub['ossl-ec']!, readFileSync(sig)), 'ECDSA (DER)');
      });

      it('pkeyutl -decrypt: RSA PKCS#1 v1.5 and OAEP', () => {
        const secret = Buffer.from('premaster secret for a test');
        const head = mode.engine.length > 0 ? ['pkeyutl', '-engine', 'pkcs11', '-keyform', 'engine'] : ['pkeyutl'];
        const ct = join(f.dir, 'ct.bin');
        writeFileSync(ct, publicEncrypt({ key: pub['ossl-rsa']!, padding: constants.RSA_PKCS1_PADDING }, secret));
        assert.equal(openssl(...head, '-decrypt', '-inkey', uri('ossl-rsa'), '-in', ct).stdout, secret.toString());
        writeFileSync(ct, publicEncrypt({ key: pub['ossl-rsa']!, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret));
        assert.equal(openssl(...head, '-decrypt', '-inkey', uri('ossl-rsa'), '-in', ct, '-pkeyopt', 'rsa_padding_mode:oaep',
          '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256').stdout, secret.toString());
      });

      it('req -x509 makes self-signed certificates for RSA and EC keys that verify with the public key', () => {
        for (const name of ['ossl-rsa', 'ossl-ec']) {
          const cert = join(f.dir, `${name}-${mode.engine.length}.pem`);
          openssl('req', ...engineSuffix, '-x509', '-new', '-key', uri(name), '-subj', `/CN=${name}`, '-days', '2', '-sha256', '-out', cert);
          runOk('openssl', ['verify', '-CAfile', cert, cert], f.env);
          const x = new X509Certificate(readFileSync(cert));
          assert.ok(x.verify(pub[name]!), `${name} certificate signature`);
          assert.ok(x.publicKey.equals(pub[name]!), `${name} certificate carries the key`);
        }
      });
    });
  }
});
