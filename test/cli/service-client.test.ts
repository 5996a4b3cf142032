/**
 * The CLI's REST client (src/cli/service-client.ts) and LRO poller (src/cli/long-running-operation.ts)
 * against an HTTPS stub: the client-credentials sign-in and its cache, the api-version query, the Key Vault
 * and OAuth error bodies, Azure-AsyncOperation polling with Retry-After, failures, and a status URL on
 * another origin (never followed with our token).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommandFailure } from '../../src/cli/command.ts';
import { pollOperation } from '../../src/cli/long-running-operation.ts';
import { Progress } from '../../src/cli/progress.ts';
import { ServiceClient, ServiceError } from '../../src/cli/service-client.ts';
import { LATEST_STABLE_API_VERSION } from '../../src/http/plugins/api-version.ts';
import { startStub, TENANT, type StubService } from './stub-service.ts';

let stub: StubService;
before(async () => { stub = await startStub(); });
after(() => stub.close());

function client(secret = 'cli-test-secret'): ServiceClient {
  return new ServiceClient({
    url: new URL(stub.url),
    ca: readFileSync(join(stub.dataDir, 'tls', 'ca.pem'), 'utf8'),
    credentials: { tenantId: TENANT, clientId: 'cli-test-client', clientSecret: secret, authorityHost: stub.url },
  });
}

const lines = () => {
  const written: string[] = [];
  return { written, stream: { write: (text: string) => written.push(text) } as unknown as NodeJS.WritableStream };
};

describe('service client', () => {
  it('signs in once for the resource of the host, sends api-version and JSON, and reuses the token', async () => {
    stub.routes.set('GET /settings', () => ({ status: 200, body: { settings: [] } }));
    const before = stub.tokensIssued;
    const c = client();
    try {
      assert.deepEqual((await c.request('GET', '/settings')).body, { settings: [] });
      await c.request('GET', '/settings');
    } finally {
      c.close();
    }
    assert.equal(stub.tokensIssued - before, 1);
    const token = stub.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token')).at(-1);
    const form = new URLSearchParams(token?.text);
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('scope'), 'https://localhost/.default');
    const call = stub.requests.at(-1);
    assert.equal(call?.query.get('api-version'), LATEST_STABLE_API_VERSION);
    assert.match(String(call?.headers['authorization']), /^Bearer token-/);
  });

  it('turns the Key Vault error envelope and OAuth errors into ServiceError with code and message', async () => {
    stub.routes.set('POST /keys/k1/backup', () => ({ status: 404, body: { error: { code: 'KeyNotFound', message: 'A key with (name/id) k1 was not found in this key vault.' } } }));
    const c = client();
    try {
      await assert.rejects(c.request('POST', '/keys/k1/backup', {}), (error: unknown) =>
        error instanceof ServiceError && error.status === 404 && error.code === 'KeyNotFound' && /k1 was not found/.test(error.message));
    } finally {
      c.close();
    }
    const wrong = client('wrong');
    try {
      await assert.rejects(wrong.request('GET', '/settings'), (error: unknown) => error instanceof ServiceError && error.code === 'invalid_client' && /Invalid client secret/.test(error.message));
    } finally {
      wrong.close();
    }
  });

  it('a server that cannot be reached, or whose certificate is not trusted, is a ServiceError naming it', async () => {
    const untrusting = new ServiceClient({ url: new URL(stub.url), credentials: { tenantId: TENANT, clientId: 'x', clientSecret: 'y', authorityHost: stub.url } });
    try {
      await assert.rejects(untrusting.request('GET', '/settings'), (error: unknown) => error instanceof ServiceError && error.message.includes(`cannot reach ${stub.url}`));
    } finally {
      untrusting.close();
    }
  });
});

describe('long-running operations', () => {
  it('polls the Azure-AsyncOperation URL after Retry-After until Succeeded, one progress line per change', async () => {
    let polls = 0;
    stub.routes.set('GET /backup/job1/pending', () => {
      polls++;
      const done = polls >= 3;
      return { status: 200, headers: { 'retry-after': '0' }, body: { status: done ? 'Succeeded' : 'InProgress', statusDetails: done ? 'done' : 'Full backup is in progress', jobId: 'job1' } };
    });
    const c = client();
    const out = lines();
    const initial = { status: 202, headers: { 'azure-asyncoperation': `${stub.url}/backup/job1/pending`, 'retry-after': '0' }, body: { status: 'InProgress', jobId: 'job1' } };
    try {
      const started = Date.now();
      const result = await pollOperation(c, initial, { fallbackUrl: '/nowhere', label: 'Full backup', progress: new Progress(out.stream) });
      assert.equal(result['status'], 'Succeeded');
      assert.ok(Date.now() - started < 1500, 'Retry-After: 0 is honoured (no default 2 s delay)');
    } finally {
      c.close();
    }
    assert.equal(polls, 3);
    assert.deepEqual(out.written, ['Full backup: InProgress\n', 'Full backup: InProgress - Full backup is in progress\n', 'Full backup: Succeeded - done\n']);
  });

  it('"Success" of the security domain counts as done; the fallback URL is used without a header', async () => {
    stub.routes.set('GET /securitydomain/upload/pending', () => ({ status: 200, body: { status: 'Success', status_details: 'Upload succeeded' } }));
    const c = client();
    try {
      const initial = { status: 202, headers: {}, body: { status: 'InProgress', status_details: 'Upload in progress' } };
      const result = await pollOperation(c, initial, { fallbackUrl: '/securitydomain/upload/pending', label: 'Upload', progress: new Progress(lines().stream), defaultDelayMs: 10 });
      assert.equal(result['status_details'], 'Upload succeeded');
    } finally {
      c.close();
    }
  });

  it('a failed operation is a CommandFailure with the error code and message', async () => {
    stub.routes.set('GET /restore/job2/pending', () => ({ status: 200, body: { status: 'Failed', error: { code: 'BadParameter', message: 'The backup folder was made under another security domain.' } } }));
    const c = client();
    try {
      const initial = { status: 202, headers: { 'azure-asyncoperation': `${stub.url}/restore/job2/pending`, 'retry-after': '0' }, body: { status: 'InProgress', jobId: 'job2' } };
      await assert.rejects(pollOperation(c, initial, { fallbackUrl: '', label: 'Full restore', progress: new Progress(lines().stream) }), (error: unknown) =>
        error instanceof CommandFailure && error.message === 'Full restore failed: BadParameter: The backup folder was made under another security domain.');
    } finally {
      c.close();
    }
  });

  it('a status URL on another origin is not followed', async () => {
    const c = client();
    try {
      const initial = { status: 202, headers: { 'azure-asyncoperation': 'https://attacker.example/backup/x/pending', 'retry-after': '0' }, body: { status: 'InProgress' } };
      await assert.rejects(pollOperation(c, initial, { fallbackUrl: '', label: 'Full backup', progress: new Progress(lines().stream) }), (error: unknown) =>
        error instanceof ServiceError && /not following it/.test(error.message));
      assert.ok(!stub.requests.some((r) => r.path.includes('/backup/x/')));
    } finally {
      c.close();
    }
  });

  it('a TTY gets one line rewritten in place', () => {
    const out = lines();
    const tty = Object.assign(out.stream, { isTTY: true });
    const progress = new Progress(tty);
    progress.update('Full backup: InProgress');
    progress.update('Full backup: InProgress');
    progress.update('Full backup: Succeeded');
    progress.end();
    assert.equal(out.written.length, 3);
    assert.ok(out.written.every((text, i) => (i < 2 ? text.startsWith('\r\x1b[2K') : text === '\n')));
  });
});
