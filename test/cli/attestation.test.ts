/**
 * `strongroom attestation root` and `strongroom attestation verify` as a user runs them, against real servers:
 * the exported root is the instance's (openssl reads it, it survives a restart on the same data directory),
 * verify passes against its own instance's root (RSA, EC, oct; latest and named versions; --json), and fails,
 * exit 1 naming what failed, against another instance's root and for tampered bundles.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runStrongroom } from '../../harness/cli-process.ts';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';

let one: StartedServer;
let other: StartedServer;
const work = mkdtempSync(join(tmpdir(), 'attestation-cli-'));
const rootOne = join(work, 'root-one.pem');
const rootOther = join(work, 'root-other.pem');

before(async () => {
  // `attestation root` reads the data directory's store: these servers keep theirs in SQLite.
  [one, other] = await Promise.all([startServer({ store: 'sqlite' }), startServer({ store: 'sqlite' })]);
});
after(async () => {
  await Promise.all([disposeServer(one), disposeServer(other)]);
  rmSync(work, { recursive: true, force: true });
});

const cli = (server: StartedServer, args: string[]) => runStrongroom(args, { dataDir: server.dataDir });

async function api(server: StartedServer) {
  return apiClient(server, await accessToken(server));
}

describe('strongroom attestation', () => {
  it('root exports each instance\'s root certificate, which openssl reads as a CA, and will not overwrite a file', async () => {
    const exported = await cli(one, ['attestation', 'root', '--out', rootOne]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /Wrote the instance attestation root/);
    assert.match(execFileSync('openssl', ['x509', '-in', rootOne, '-noout', '-text'], { encoding: 'utf8' }), /CA:TRUE/);
    const json = await cli(other, ['attestation', 'root', '--out', rootOther, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const summary = JSON.parse(json.stdout);
    assert.match(summary.sha256, /^[0-9a-f]{64}$/);
    assert.equal(summary.pem, readFileSync(rootOther, 'utf8'));
    assert.notEqual(readFileSync(rootOne, 'utf8'), readFileSync(rootOther, 'utf8'));
    const again = await cli(one, ['attestation', 'root', '--out', rootOne]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; give --force/);
  });

  it('verify passes against the instance\'s own root for RSA, EC and oct keys, latest and by version', async () => {
    const client = await api(one);
    const rsa = await client.post('/keys/cli-att-rsa/create', { kty: 'RSA' });
    const ec = await client.post('/keys/cli-att-ec/create', { kty: 'EC', crv: 'P-521' });
    const oct = await client.post('/keys/cli-att-oct/create', { kty: 'oct-HSM', key_size: 256 });
    for (const created of [rsa, ec, oct]) assert.equal(created.status, 200, created.text);
    const versioned: string = rsa.json.key.kid;
    const run = await cli(one, ['attestation', 'verify', '--key-id', versioned, '--root', rootOne]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /verified against the root/);
    assert.match(run.stdout, /RSA-HSM, origin generated, exportable false/);
    for (const kid of [versioned.replace(/\/[0-9a-f]{32}$/, ''), ec.json.key.kid, oct.json.key.kid.replace(/\/[0-9a-f]{32}$/, '')]) {
      const json = await cli(one, ['attestation', 'verify', '--key-id', kid, '--root', rootOne, '--json']);
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse(json.stdout);
      assert.equal(report.ok, true);
      assert.deepEqual(report.failures, []);
      assert.ok(kid.startsWith(report.kid.replace(/\/[0-9a-f]{32}$/, '')));
    }
  });

  it('verify fails against another instance\'s root, naming it', async () => {
    const created = await (await api(one)).post('/keys/cli-att-foreign/create', { kty: 'EC' });
    const run = await cli(one, ['attestation', 'verify', '--key-id', created.json.key.kid, '--root', rootOther]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /another root than the one given|does not end at the given root/);
    const json = await cli(one, ['attestation', 'verify', '--key-id', created.json.key.kid, '--root', rootOther, '--json']);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).error.code, 'Failure');
  });

  it('verify fails for tampered bundles: another key, an edited statement, a swapped statement', async () => {
    const client = await api(one);
    const target = await client.post('/keys/cli-att-target/create', { kty: 'RSA' });
    const decoy = await client.post('/keys/cli-att-decoy/create', { kty: 'RSA' });
    const kid: string = target.json.key.kid;
    const bundle = (await client.get(`/keys/cli-att-target/${kid.split('/').pop()}/attestation`)).json;
    const decoyBundle = (await client.get('/keys/cli-att-decoy/attestation')).json;
    const check = async (tampered: unknown) => {
      const file = join(work, `bundle-${Math.random().toString(16).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(tampered));
      return cli(one, ['attestation', 'verify', '--key-id', kid, '--root', rootOne, '--bundle', file]);
    };
    const untouched = await check(bundle);
    assert.equal(untouched.code, 0, untouched.stderr);

    const otherKey = await check({ ...bundle, key: { ...bundle.key, n: decoy.json.key.n } });
    assert.equal(otherKey.code, 1);
    assert.match(otherKey.stderr, /attests another public key than the bundle key/);

    const jws = Buffer.from(bundle.attributes.attestation.privateKeyAttestation, 'base64url').toString();
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const edited = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), exportable: true };
    const forged = `${header}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
    const editedRun = await check({ ...bundle, attributes: { ...bundle.attributes, attestation: { ...bundle.attributes.attestation, privateKeyAttestation: Buffer.from(forged).toString('base64url') } } });
    assert.equal(editedRun.code, 1);
    assert.match(editedRun.stderr, /signature does not verify/);

    const swapped = await check({ ...bundle, attributes: { ...bundle.attributes, attestation: decoyBundle.attributes.attestation } });
    assert.equal(swapped.code, 1);
    assert.match(swapped.stderr, /names key cli-att-decoy, not cli-att-target/);
  });

  it('keeps the same root across a restart on the same data directory', async () => {
    const created = await (await api(one)).post('/keys/cli-att-restart/create', { kty: 'EC' });
    await one.stop();
    one = await startServer({ dataDir: one.dataDir, store: 'sqlite' });
    const exported = await cli(one, ['attestation', 'root']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout, readFileSync(rootOne, 'utf8'));
    const run = await cli(one, ['attestation', 'verify', '--key-id', created.json.key.kid, '--root', rootOne]);
    assert.equal(run.code, 0, run.stderr);
  });
});
