/**
 * Issue 9: the domain key is held by the unseal provider `--unseal` names. Each provider starts an instance,
 * opens it again on restart, and refuses to start, with one line and nothing changed, when it cannot open the
 * instance's domain: another unseal key, a wrong PIN, a provider other than the one that holds the domain.
 * The pkcs11 provider runs against a real SoftHSM2 token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { projectRoot, startServer, temporaryDataDir } from '../../harness/server-process.ts';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { createSoftHsmToken } from '../../harness/softhsm.ts';

const main = join(projectRoot, 'src', 'main.ts');

/** `strongroom serve` as an operator starts it; a start that does not refuse is killed after 30 s. */
function serve(dataDir: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [main, 'serve', '--data-dir', dataDir, '--port', '0', '--workers', '1', '--store', `sqlite:${join(dataDir, 'strongroom.db')}`, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, STRONGROOM_UNSEAL_KEY: '', STRONGROOM_PKCS11_PIN: '', ...env },
  });
  return { status: result.status, stderr: result.stderr };
}

function assertRefused(result: { status: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.status, 1, `exit code (stderr: ${result.stderr})`);
  assert.equal(result.stderr.split('\n').filter((line) => line !== '').length, 1, `one line: ${result.stderr}`);
  assert.match(result.stderr, pattern);
}

/** Starts, makes a key, stops; starts again and signs with it: the domain opened twice from the provider. */
async function roundTrip(dataDir: string, args: string[], env: Record<string, string>): Promise<void> {
  const first = await startServer({ dataDir, store: 'sqlite', args, env });
  try {
    const api = apiClient(first, await accessToken(first));
    assert.equal((await api.post('/keys/held/create', { kty: 'EC', crv: 'P-256' })).status, 200);
  } finally {
    await first.stop();
  }
  const second = await startServer({ dataDir, store: 'sqlite', args, env });
  try {
    const api = apiClient(second, await accessToken(second));
    const signed = await api.post('/keys/held/sign', { alg: 'ES256', value: randomBytes(32).toString('base64url') });
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
  } finally {
    await second.stop();
  }
}

describe('--unseal env', () => {
  const dataDir = temporaryDataDir();
  const key = randomBytes(32).toString('base64');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('opens the domain with STRONGROOM_UNSEAL_KEY, and keeps no key file', async () => {
    await roundTrip(dataDir, ['--unseal', 'env'], { STRONGROOM_UNSEAL_KEY: key });
    assert.equal(existsSync(join(dataDir, 'unseal-key')), false);
  });

  test('another key, a malformed one, or none: refused in one line', () => {
    assertRefused(serve(dataDir, ['--unseal', 'env'], { STRONGROOM_UNSEAL_KEY: randomBytes(32).toString('base64') }), /STRONGROOM_UNSEAL_KEY does not open this instance's domain key/);
    assertRefused(serve(dataDir, ['--unseal', 'env'], { STRONGROOM_UNSEAL_KEY: 'c2hvcnQ=' }), /STRONGROOM_UNSEAL_KEY must be 32 bytes in base64/);
    assertRefused(serve(dataDir, ['--unseal', 'env'], {}), /--unseal env needs STRONGROOM_UNSEAL_KEY/);
  });

  test('the file provider cannot open a domain the env provider holds', () => {
    assertRefused(serve(dataDir, [], {}), /held by the 'env' unseal provider; start with --unseal env/);
    assert.equal(existsSync(join(dataDir, 'unseal-key')), false, 'no key file is made for it');
  });
});

describe('--unseal pkcs11 (SoftHSM2)', () => {
  const dataDir = temporaryDataDir();
  const token = createSoftHsmToken();
  const pinFile = join(dataDir, 'pin');
  writeFileSync(pinFile, `${token.pin}\n`, { mode: 0o600 });
  const args = ['--unseal', 'pkcs11', '--pkcs11-module', token.modulePath, '--pkcs11-token-label', token.tokenLabel, '--pkcs11-key-label', 'strongroom-domain-wrap'];
  after(() => {
    token.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('generates the wrapping key in the token at the first start and opens the domain again after a restart', async () => {
    await roundTrip(dataDir, [...args, '--pkcs11-pin-file', pinFile], token.env);
    assert.deepEqual(readdirSync(dataDir).filter((name) => name.includes('unseal')), [], 'no key file beside the database');
  });

  test('the PIN from STRONGROOM_PKCS11_PIN works too', async () => {
    const server = await startServer({ dataDir, store: 'sqlite', args, env: { ...token.env, STRONGROOM_PKCS11_PIN: token.pin } });
    await server.stop();
  });

  test('a wrong PIN, another key label, another token: refused in one line, nothing changed', async () => {
    assertRefused(serve(dataDir, args, { ...token.env, STRONGROOM_PKCS11_PIN: '11111' }), /The PKCS#11 token 'strongroom-test' refused the login \(CKR_PIN_INCORRECT\): check the PIN/);
    const otherKey = args.with(-1, 'another-key');
    assertRefused(serve(dataDir, otherKey, { ...token.env, STRONGROOM_PKCS11_PIN: token.pin }), /wrapped by pkcs11:token=strongroom-test;object=strongroom-domain-wrap, not by the PKCS#11 key 'another-key'/);
    const otherToken = args.with(5, 'no-such-token');
    assertRefused(serve(dataDir, otherToken, { ...token.env, STRONGROOM_PKCS11_PIN: token.pin }), /wrapped by pkcs11:token=strongroom-test/);
    assertRefused(serve(dataDir, ['--unseal', 'pkcs11'], {}), /--unseal pkcs11 needs --pkcs11-module PATH/);
    // Nothing was changed by the refusals: the right PIN still opens the same domain and its key.
    const server = await startServer({ dataDir, store: 'sqlite', args, env: { ...token.env, STRONGROOM_PKCS11_PIN: token.pin } });
    try {
      const api = apiClient(server, await accessToken(server));
      assert.equal((await api.get('/keys/held')).status, 200);
    } finally {
      await server.stop();
    }
  });
});
