/**
 * `strongroom serve` as an operator runs it: --help, option errors, configuration by environment, a
 * certificate of one's own, and extra names on the generated certificate.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCertificateAuthority, issueServerCertificate } from '../../src/tls/certificates.ts';
import { accessToken, request } from '../../harness/https-requests.ts';
import { disposeServer, projectRoot, startServer, temporaryDataDir } from '../../harness/server-process.ts';

const main = join(projectRoot, 'src', 'main.ts');
// A start that should fail but does not would serve forever: bound it, so the test fails instead of hanging.
const run = (args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 60_000 });

test('--help lists every option and its environment variable, and exits 0', () => {
  const result = run(['serve', '--help']);
  assert.equal(result.status, 0);
  for (const word of ['--data-dir', 'STRONGROOM_DATA_DIR', '--port', 'STRONGROOM_PORT', '--host', 'STRONGROOM_HOST', '--tls-name', '--tls-cert', '--tls-key', '--workers', '--retention-days']) {
    assert.ok(result.stdout.includes(word), word);
  }
});

test('a bad option is one clear line on stderr and exit code 2, before anything is created', () => {
  const dataDir = join(temporaryDataDir(), 'never');
  const result = run(['serve', '--data-dir', dataDir, '--port', '99999']);
  assert.equal(result.status, 2);
  assert.equal(result.stderr.trim(), 'strongroom: --port must be a whole number from 0 to 65535');
  assert.equal(existsSync(dataDir), false);
  assert.equal(run(['launch']).status, 2);
});

test('the data directory comes from the environment; its secrets are private to the owner', async () => {
  const dataDir = join(temporaryDataDir(), 'from-env');
  const server = await startServer({ dataDir, env: { STRONGROOM_DATA_DIR: dataDir }, store: 'sqlite' });
  try {
    for (const file of ['unseal-key', 'admin-credentials.json', 'strongroom.db']) {
      assert.equal(statSync(join(dataDir, file)).mode & 0o077, 0, `${file} must not be readable by others`);
    }
    assert.equal(statSync(join(dataDir, 'tls', 'ca.pem')).mode & 0o777, 0o644);
    assert.ok(server.ca.endsWith('-----END CERTIFICATE-----\n'), 'ca.pem ends with a newline, so it can be appended to a bundle');
    assert.match(server.credentials.authorityHost, new RegExp(`^https://localhost:${server.port}$`));
  } finally {
    await disposeServer(server);
  }
});

test('--tls-name adds names to the generated certificate', async () => {
  const server = await startServer({ args: ['--tls-name', 'kms.internal.example', '--tls-name', '10.1.2.3'] });
  try {
    const certificate = await new Promise<X509Certificate>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: server.port, servername: 'localhost', ca: server.ca }, () => {
        resolve(new X509Certificate(socket.getPeerX509Certificate()?.raw ?? Buffer.alloc(0)));
        socket.end();
      });
      socket.on('error', reject);
    });
    assert.ok(certificate.checkHost('kms.internal.example'));
    assert.ok(certificate.checkIP('10.1.2.3'));
    assert.ok(certificate.checkHost('anything.vault.localhost'));
  } finally {
    await disposeServer(server);
  }
});

test('--tls-cert and --tls-key serve a certificate of your own', async () => {
  const dir = temporaryDataDir();
  const ownCa = await createCertificateAuthority();
  const own = await issueServerCertificate(ownCa, ['localhost']);
  writeFileSync(join(dir, 'cert.pem'), own.certificatePem);
  writeFileSync(join(dir, 'key.pem'), own.privateKeyPem);
  const server = await startServer({ args: ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')] });
  try {
    // Trusting our own CA only: the connection works, so the served chain is ours, not the generated one.
    const trusting = { ...server, ca: ownCa.certificatePem, agent: new (await import('node:https')).Agent({ ca: ownCa.certificatePem }) };
    const token = await accessToken(trusting);
    assert.equal((await request(trusting, { path: '/keys?api-version=7.6', token })).status, 200);
    trusting.agent.destroy();
  } finally {
    await disposeServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a port already in use stops the service with the reason, also with several workers (no restart loop)', async () => {
  const { createServer } = await import('node:net');
  const blocker = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => blocker.once('listening', resolve));
  const address = blocker.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const dataDir = temporaryDataDir();
  try {
    for (const workers of ['1', '2']) {
      const result = spawnSync(process.execPath, [main, 'serve', '--data-dir', dataDir, '--port', String(port), '--workers', workers], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(result.error, undefined, `the service must exit by itself (workers=${workers})`);
      assert.equal(result.status, 1, `workers=${workers}`);
      assert.match(result.stderr, /EADDRINUSE/);
    }
  } finally {
    blocker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a data directory whose unseal key is missing or belongs to another instance is refused at start', async () => {
  const dataDir = temporaryDataDir();
  try {
    // About the data directory's own database: SQLite even when the run targets PostgreSQL.
    const first = await startServer({ dataDir, store: 'sqlite' });
    await first.stop();
    const kek = join(dataDir, 'unseal-key');
    const original = readFileSync(kek);

    rmSync(kek);
    const missing = run(['serve', '--data-dir', dataDir, '--port', '0']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /unseal-key is missing/);
    assert.equal(existsSync(kek), false, 'no new unseal key may be made for a database that has a domain');

    writeFileSync(kek, randomBytes(32), { mode: 0o600 });
    const foreign = run(['serve', '--data-dir', dataDir, '--port', '0']);
    assert.equal(foreign.status, 1);
    assert.match(foreign.stderr, /the unseal key file .*unseal-key does not open this instance's domain key \(it is wrapped by unseal key [0-9a-f]{8}, .* is unseal key [0-9a-f]{8}\)/);

    writeFileSync(kek, original, { mode: 0o600 });
    await (await startServer({ dataDir, store: 'sqlite' })).stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
