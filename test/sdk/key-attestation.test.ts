/**
 * `KeyClient.getKeyAttestation` of the unmodified `@azure/keyvault-keys`, latest and by version, on both host
 * styles: `properties.attestation` carries the four members (the SDK decodes them from base64url into bytes),
 * and what it decoded verifies against the instance root exported by `strongroom attestation root`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KeyClient, KeyVaultKey } from '@azure/keyvault-keys';
import { runStrongroom } from '../../harness/cli-process.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { verifyKeyAttestation } from '../../src/domain/keys/key-attestation-verification.ts';
import { keyClientFor } from '../helpers/sdk.ts';

let server: TestServer;
let rootPem: string;
before(async () => {
  // The root is read from the data directory's SQLite file, so this server keeps its store there.
  server = await startServer({ store: 'sqlite' });
  const exported = await runStrongroom(['attestation', 'root'], { dataDir: server.dataDir });
  assert.equal(exported.code, 0, exported.stderr);
  rootPem = exported.stdout;
});
after(async () => { await disposeServer(server); });

const b64url = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('base64url'));

/** The SDK's model mapped back to the wire bundle, to check what the SDK decoded, byte for byte. */
function wireBundle(key: KeyVaultKey) {
  const attestation = key.properties.attestation!;
  return {
    key: { kid: key.id, kty: key.keyType, n: b64url(key.key?.n), e: b64url(key.key?.e), crv: key.key?.crv, x: b64url(key.key?.x), y: b64url(key.key?.y) },
    attributes: {
      exportable: key.properties.exportable,
      attestation: {
        certificatePemFile: b64url(attestation.certificatePemFile),
        privateKeyAttestation: b64url(attestation.privateKeyAttestation),
        publicKeyAttestation: b64url(attestation.publicKeyAttestation),
        version: attestation.version,
      },
    },
  };
}

for (const host of ['localhost', 'myvault.vault.localhost'] as const) {
  describe(`getKeyAttestation through the SDK on ${host}`, () => {
    let client: KeyClient;
    before(() => { client = keyClientFor(server, host); });

    test('the latest version and a named version carry the attestation, which verifies against the root', async () => {
      const name = `sdk-att-${host === 'localhost' ? 'a' : 'b'}`;
      const first = await client.createRsaKey(name, { keySize: 2048 });
      const second = await client.createEcKey(name, { curve: 'P-256' });
      const latest = await client.getKeyAttestation(name);
      assert.equal(latest.id, second.id);
      const named = await client.getKeyAttestation(name, { version: first.properties.version! });
      assert.equal(named.id, first.id);
      for (const [key, version] of [[latest, second.properties.version], [named, first.properties.version]] as const) {
        const attestation = key.properties.attestation;
        assert.ok(attestation !== undefined, 'properties.attestation');
        for (const member of ['certificatePemFile', 'privateKeyAttestation', 'publicKeyAttestation'] as const) {
          assert.ok(attestation[member] instanceof Uint8Array && attestation[member].length > 0, member);
        }
        assert.equal(attestation.version, '1');
        assert.match(Buffer.from(attestation.certificatePemFile!).toString(), /^-----BEGIN CERTIFICATE-----/);
        const report = verifyKeyAttestation(wireBundle(key), rootPem, { name, version });
        assert.deepEqual(report.failures, []);
        assert.equal(report.ok, true);
        assert.equal(report.origin, 'generated');
      }
    });
  });
}
