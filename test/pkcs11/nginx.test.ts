/**
 * Issue 13: keyless TLS. nginx (Debian 12's 1.22, master + worker processes) serves HTTPS with certificates whose
 * private keys stay in Strongroom, reached through the libp11 engine and the module; RSA and EC keys, TLS 1.2
 * and 1.3, handshakes by curl trusting only the certificate. Then the RSA key is rotated and nginx reloaded while
 * it serves: the new certificate (for the new version) is served and its handshakes complete.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { libraryPath, startFixture, type Fixture } from './helpers/fixture.ts';
import { engineConf, providerConf } from './helpers/openssl-conf.ts';
import { commandExists, run, runAsync, runOk } from './helpers/run.ts';

const nginxBin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => commandExists(p)) ?? 'nginx';
let f: Fixture;
let nginx: ChildProcess | undefined;
const ports: Record<'rsa' | 'ec', number> = { rsa: 0, ec: 0 };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function makeCert(name: string, file: string): void {
  runOk('openssl', ['req', '-x509', '-new', '-key', `pkcs11:object=${name};type=private`, '-subj', `/CN=localhost`,
    '-addext', 'subjectAltName=DNS:localhost', '-days', '2', '-sha256', '-out', join(f.dir, file)],
  { ...f.env, OPENSSL_CONF: providerConf(f.dir, libraryPath) });
}

function nginxConf(): string {
  const d = f.dir;
  const server = (kind: 'rsa' | 'ec') => `
    server {
      listen 127.0.0.1:${ports[kind]} ssl;
      ssl_certificate ${d}/nginx-${kind}.pem;
      ssl_certificate_key "engine:pkcs11:pkcs11:object=nginx-${kind};type=private";
      ssl_protocols TLSv1.2 TLSv1.3;
      location / { return 200 "served by ${kind}\\n"; }
    }`;
  return `${process.getuid?.() === 0 ? 'user nobody nogroup;' : ''}
daemon off;
master_process on;
worker_processes 2;
pid ${d}/nginx.pid;
error_log ${d}/nginx-error.log info;
env STRONGROOM_PKCS11_CONFIG;
env OPENSSL_CONF;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${d}/ngx-tmp/body;
  proxy_temp_path ${d}/ngx-tmp/proxy;
  fastcgi_temp_path ${d}/ngx-tmp/fastcgi;
  uwsgi_temp_path ${d}/ngx-tmp/uwsgi;
  scgi_temp_path ${d}/ngx-tmp/scgi;
  ${server('rsa')}
  ${server('ec')}
}
`;
}

async function curl(kind: 'rsa' | 'ec', tls: '1.2' | '1.3'): Promise<string> {
  const args = ['-sS', '--cacert', join(f.dir, `nginx-${kind}.pem`), `--tlsv${tls}`, '--tls-max', tls, `https://localhost:${ports[kind]}/`];
  const r = await runAsync('curl', args, { env: f.env });
  if (r.status !== 0) throw new Error(`curl ${args.join(' ')}: ${r.status} ${r.stderr}\n--- nginx error log ---\n${readLog()}`);
  return r.stdout;
}

function readLog(): string {
  try { return readFileSync(join(f.dir, 'nginx-error.log'), 'utf8').slice(-4000); } catch { return ''; }
}

async function waitForListening(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (run('curl', ['-sk', '-o', '/dev/null', `https://localhost:${ports.ec}/`], f.env).status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not come up\n${readLog()}`);
}

describe('nginx keyless TLS through the libp11 engine', { timeout: 180_000 }, () => {
  before(async () => {
    // Workers run as nobody when the tests run as root: the configuration must be readable by them.
    f = await startFixture({ config: { refresh_interval_seconds: 1 } });
    chmodSync(f.dir, 0o755);
    chmodSync(f.credentialsPath, 0o644);
    mkdirSync(join(f.dir, 'ngx-tmp'), { mode: 0o755 });
    await f.createKey({ name: 'nginx-rsa', kty: 'RSA' });
    await f.createKey({ name: 'nginx-ec', kty: 'EC', crv: 'P-256' });
    makeCert('nginx-rsa', 'nginx-rsa.pem');
    makeCert('nginx-ec', 'nginx-ec.pem');
    ports.rsa = await freePort();
    ports.ec = await freePort();
    writeFileSync(join(f.dir, 'nginx.conf'), nginxConf());
    nginx = spawn(nginxBin, ['-p', f.dir, '-c', join(f.dir, 'nginx.conf'), '-e', join(f.dir, 'nginx-error.log')], {
      env: { ...f.env, OPENSSL_CONF: engineConf(f.dir, libraryPath, true) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await waitForListening();
  });

  after(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx?.once('exit', r));
      nginx.kill('SIGQUIT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (nginx.exitCode === null) nginx.kill('SIGKILL');
    }
    await f?.stop();
  });

  it('runs a master and worker processes', () => {
    const pid = readFileSync(join(f.dir, 'nginx.pid'), 'utf8').trim();
    const children = run('pgrep', ['-P', pid], f.env).stdout.trim().split('\n').filter((l) => l !== '');
    assert.ok(children.length >= 2, `workers of ${pid}: ${children.join(',')}`);
  });

  it('completes TLS 1.2 and TLS 1.3 handshakes with the RSA and the EC key', async () => {
    for (const kind of ['rsa', 'ec'] as const) {
      for (const tls of ['1.2', '1.3'] as const) {
        // Several requests, so that more than one worker (each with its own module state after fork) answers.
        for (let i = 0; i < 4; i++) assert.equal(await curl(kind, tls), `served by ${kind}\n`);
      }
    }
  });

  it('serves the rotated key after a reload, without stopping', async () => {
    const before = readFileSync(join(f.dir, 'nginx-rsa.pem'), 'utf8');
    await f.createKey({ name: 'nginx-rsa', kty: 'RSA' }); // a new version becomes the latest
    makeCert('nginx-rsa', 'nginx-rsa.pem');
    assert.notEqual(readFileSync(join(f.dir, 'nginx-rsa.pem'), 'utf8'), before);
    await new Promise((r) => setTimeout(r, 2500)); // the master's module refreshes every second
    const pid = Number(readFileSync(join(f.dir, 'nginx.pid'), 'utf8').trim());
    process.kill(pid, 'SIGHUP');
    let lastError: unknown;
    for (let i = 0; i < 50; i++) {
      try {
        assert.equal(await curl('rsa', '1.3'), 'served by rsa\n');
        assert.equal(await curl('rsa', '1.2'), 'served by rsa\n');
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    if (lastError !== undefined) throw lastError;
    assert.equal(await curl('ec', '1.3'), 'served by ec\n');
  });
});
