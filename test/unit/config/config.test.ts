import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigError, helpText, loadConfig } from '../../../src/config/config.ts';

test('defaults, then environment, then options (options win)', () => {
  const config = loadConfig(['--port', '9000', '--tls-name=a.example'], {
    STRONGROOM_PORT: '7000',
    STRONGROOM_DATA_DIR: '/tmp/x',
    STRONGROOM_TLS_NAMES: 'b.example, c.example',
  });
  assert.equal(config.port, 9000);
  assert.equal(config.dataDir, '/tmp/x');
  assert.equal(config.host, '127.0.0.1');
  assert.deepEqual(config.tlsNames, ['b.example', 'c.example', 'a.example']);
  assert.equal(loadConfig([], {}).dataDir, resolve('strongroom-data'));
});

test('bad values and unknown options are clear errors', () => {
  for (const args of [['--port', '70000'], ['--port'], ['--workers', '0'], ['--retention-days', '6'], ['--nope'], ['--tls-cert', 'a.pem'], ['--log-level', 'loud']]) {
    assert.throws(() => loadConfig(args, {}), ConfigError, args.join(' '));
  }
});

test('--help documents every option with its environment variable', () => {
  const text = helpText();
  for (const word of [
    '--data-dir', 'STRONGROOM_DATA_DIR', '--port', 'STRONGROOM_PORT', '--host', 'STRONGROOM_HOST', '--tls-cert', '--workers',
    '--store', 'STRONGROOM_STORE', '--kek-file', 'STRONGROOM_KEK_FILE', '--max-in-flight', 'STRONGROOM_MAX_IN_FLIGHT',
    '--max-connections', 'STRONGROOM_MAX_CONNECTIONS', '--request-timeout', 'STRONGROOM_REQUEST_TIMEOUT',
  ]) {
    assert.ok(text.includes(word), word);
  }
});

test('--store takes sqlite:PATH or a PostgreSQL URL, and nothing else', () => {
  assert.deepEqual(loadConfig(['--store', 'sqlite:/var/lib/strongroom/s.db'], {}).store, { backend: 'sqlite', path: '/var/lib/strongroom/s.db' });
  assert.deepEqual(loadConfig([], { STRONGROOM_STORE: 'postgres://u:p@db:5432/strongroom?sslmode=verify-full' }).store, {
    backend: 'postgres',
    url: 'postgres://u:p@db:5432/strongroom?sslmode=verify-full',
  });
  assert.equal(loadConfig([], {}).store, undefined, 'the default is the data directory\'s SQLite file');
  for (const bad of ['mysql://db/x', 'sqlite:', '/tmp/file.db']) assert.throws(() => loadConfig(['--store', bad], {}), ConfigError, bad);
});

test('custody and identity options: --unseal, --require-activation (a switch), --trust-issuer (repeatable, https only)', () => {
  assert.equal(loadConfig([], {}).unseal, 'file');
  assert.equal(loadConfig(['--unseal', 'pkcs11'], {}).unseal, 'pkcs11');
  assert.throws(() => loadConfig(['--unseal', 'vault'], {}), ConfigError);
  assert.equal(loadConfig(['--require-activation'], {}).requireActivation, true);
  assert.equal(loadConfig(['--require-activation', '--port', '1'], {}).port, 1, 'a switch takes no value');
  assert.equal(loadConfig([], { STRONGROOM_REQUIRE_ACTIVATION: 'true' }).requireActivation, true);
  assert.deepEqual(
    loadConfig(['--trust-issuer', 'https://idp.example.com/realms/a', '--trust-issuer', 'https://login.microsoftonline.com/t/v2.0'], {}).trustIssuers,
    ['https://idp.example.com/realms/a', 'https://login.microsoftonline.com/t/v2.0'],
  );
  assert.deepEqual(loadConfig([], { STRONGROOM_TRUST_ISSUERS: 'https://a.example, https://b.example' }).trustIssuers, ['https://a.example', 'https://b.example']);
  assert.throws(() => loadConfig(['--trust-issuer', 'http://idp.example.com'], {}), ConfigError);
  assert.equal(loadConfig([], {}).auditLog, true, 'the audit log is on unless turned off');
  assert.equal(loadConfig(['--audit-log', 'off'], {}).auditLog, false);
  assert.throws(() => loadConfig(['--audit-log', 'maybe'], {}), ConfigError);
  const text = helpText();
  for (const word of ['--unseal', 'STRONGROOM_UNSEAL_KEY', '--pkcs11-module', '--require-activation', '--trust-issuer', '--trust-audience']) assert.ok(text.includes(word), word);
});
