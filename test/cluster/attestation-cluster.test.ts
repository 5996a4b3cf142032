/**
 * Two nodes on one PostgreSQL database share one instance attestation identity: an attestation answered by either
 * node chains to the root `strongroom attestation root --store URL` exports, with the same signing certificate.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runStrongroom } from '../../harness/cli-process.ts';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { testPostgres, type TestPostgres } from '../../harness/postgres.ts';
import { disposeServer, startServer, temporaryDataDir, type StartedServer } from '../../harness/server-process.ts';
import { verifyKeyAttestation } from '../../src/domain/keys/key-attestation-verification.ts';

let postgres: TestPostgres;
let url: string;
const nodes: StartedServer[] = [];

before(async () => {
  postgres = await testPostgres();
  url = (await postgres.createDatabase()).url;
  const first = await startServer({ store: { postgres: url } });
  nodes.push(first);
  const dataDir = temporaryDataDir();
  copyFileSync(join(first.dataDir, 'unseal-key'), join(dataDir, 'unseal-key'));
  writeFileSync(join(dataDir, 'admin-credentials.json'), readFileSync(join(first.dataDir, 'admin-credentials.json')), { mode: 0o600 });
  nodes.push(await startServer({ dataDir, store: { postgres: url } }));
});
after(async () => {
  for (const node of nodes) await disposeServer(node);
  await postgres.close();
});

test('both nodes sign attestations with the one identity the store holds', async () => {
  const [one, two] = nodes as [StartedServer, StartedServer];
  const exported = await runStrongroom(['attestation', 'root', '--store', url], { dataDir: one.dataDir });
  assert.equal(exported.code, 0, exported.stderr);
  const token = await accessToken(one);
  const created = await apiClient(one, token).post('/keys/cluster-attested/create', { kty: 'RSA' });
  assert.equal(created.status, 200, created.text);
  const answers = await Promise.all([one, two].map((node) => apiClient(node, token).get('/keys/cluster-attested/attestation')));
  for (const answer of answers) {
    assert.equal(answer.status, 200, answer.text);
    const report = verifyKeyAttestation(answer.json, exported.stdout, { name: 'cluster-attested' });
    assert.deepEqual(report.failures, []);
  }
  assert.equal(answers[0]!.json.attributes.attestation.certificatePemFile, answers[1]!.json.attributes.attestation.certificatePemFile);
});
