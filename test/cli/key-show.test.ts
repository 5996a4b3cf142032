/**
 * `strongroom key show` as an operator runs it, against a real server: the human listing names the key's id,
 * type and size, key_ops and attributes with Cloud HSM's `trusted` and `wrapWithTrusted`; --version picks a
 * version; --json prints the key bundle as the service sent it; a missing key is exit 1 with the service's
 * message; a missing --name is usage (exit 2). Nothing private is printed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runStrongroom } from '../../harness/cli-process.ts';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';

let server: StartedServer;
let first: { key: { kid: string } };

before(async () => {
  server = await startServer();
  const api = apiClient(server, await accessToken(server));
  first = (await api.post('/keys/shown/create', { kty: 'RSA-HSM', key_size: 2048, key_ops: ['wrapKey', 'unwrapKey'], tags: { team: 'hsm' } })).json;
  assert.equal((await api.patch(`/keys/shown/${first.key.kid.split('/').at(-1)}`, { attributes: { trusted: true } })).status, 200);
  assert.equal((await api.post('/keys/shown/create', { kty: 'RSA-HSM', key_size: 3072, attributes: { wrapWithTrusted: false } })).status, 200);
});
after(() => disposeServer(server));

const show = (args: string[]) => runStrongroom(['key', 'show', ...args], { dataDir: server.dataDir });

test('the latest version: id, type and size, key_ops, trusted and wrapWithTrusted', async () => {
  const run = await show(['--name', 'shown']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^kid\s+https:\/\/localhost:\d+\/keys\/shown\/[0-9a-f]{32}$/m);
  assert.match(run.stdout, /^kty\s+RSA-HSM, 3072 bits$/m);
  assert.match(run.stdout, /^trusted\s+false$/m);
  assert.match(run.stdout, /^wrapWithTrusted\s+false$/m);
  assert.match(run.stdout, /^exportable\s+false$/m);
  assert.doesNotMatch(run.stdout, new RegExp(first.key.kid));
});

test('--version picks the version; --json is the bundle', async () => {
  const run = await show(['--name', 'shown', '--version', first.key.kid.split('/').at(-1) ?? '', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const bundle = JSON.parse(run.stdout);
  assert.equal(bundle.key.kid, first.key.kid);
  assert.equal(bundle.attributes.trusted, true);
  assert.equal(bundle.attributes.wrapWithTrusted, true);
  assert.deepEqual(bundle.tags, { team: 'hsm' });
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'key_hsm']) assert.equal(bundle.key[member], undefined);
  const human = await show(['--name', 'shown', '--version', first.key.kid.split('/').at(-1) ?? '']);
  assert.match(human.stdout, /^trusted\s+true$/m);
  assert.match(human.stdout, /^key_ops\s+wrapKey, unwrapKey$/m);
  assert.match(human.stdout, /^tags\s+team=hsm$/m);
});

test('a missing key is exit 1 with the service\'s message; no --name is exit 2', async () => {
  const missing = await show(['--name', 'nowhere']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nowhere/);
  const usage = await show([]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--name is required/);
});
