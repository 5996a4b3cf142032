/**
 * Issue 13: faults on the way to the service, injected by a TLS proxy (helpers/fault-proxy.ts, its own process)
 * in front of a real Strongroom: a slow answer, 429 with Retry-After (honoured), 5xx (retried with back-off,
 * then CKR_DEVICE_ERROR after a bounded number of attempts), a dropped connection, keep-alive connections
 * closed while idle, and a token the service no longer accepts (renewed once).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, verify, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pkcs11js from 'pkcs11js';
import { libraryPath, startFixture, type Fixture } from './helpers/fixture.ts';
import { publicKeyOf, runOk } from './helpers/run.ts';

let f: Fixture;
let proxy: ChildProcess;
let controlPort = 0;
let p: pkcs11js.PKCS11;
let session: Buffer;
let key: Buffer;
let pub: KeyObject;
const message = Buffer.from('faults');
const digest = createHash('sha256').update(message).digest();

async function control(path: string, body?: unknown): Promise<{ tokenRequests: number; signRequests: number }> {
  const answer = await fetch(`http://127.0.0.1:${controlPort}${path}`, { method: 'POST', body: JSON.stringify(body ?? null) });
  return await answer.json() as { tokenRequests: number; signRequests: number };
}

function signRv(): string {
  try {
    p.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key);
    const sig = p.C_Sign(session, digest, Buffer.alloc(64));
    assert.ok(verify('sha256', message, { key: pub, dsaEncoding: 'ieee-p1363' }, sig), 'a valid signature');
    return 'CKR_OK';
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (!text.startsWith('CKR_')) throw error;
    return text.split(':')[0] ?? '';
  }
}

describe('faults between the module and the service', { timeout: 120_000 }, () => {
  before(async () => {
    f = await startFixture();
    pub = publicKeyOf(await f.createKey({ name: 'fault-ec', kty: 'EC' }));
    // The proxy's own certificate, which the module's configuration trusts instead of the service's CA.
    const keyFile = join(f.dir, 'proxy-key.pem');
    const certFile = join(f.dir, 'proxy-cert.pem');
    runOk('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1'], { ...process.env, OPENSSL_CONF: '/dev/null' });
    proxy = spawn(process.execPath, [join(import.meta.dirname, 'helpers', 'fault-proxy.ts'), keyFile, certFile, f.server.url(), f.caPath],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const ports = await new Promise<string[]>((resolve) => {
      let out = '';
      proxy.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /ports (\d+) (\d+)/.exec(out);
        if (m !== null) resolve([m[1] ?? '', m[2] ?? '']);
      });
    });
    controlPort = Number(ports[1]);
    const credentials = JSON.parse(readFileSync(f.credentialsPath, 'utf8')) as Record<string, string>;
    credentials['authorityHost'] = `https://localhost:${ports[0]}`;
    const creds = join(f.dir, 'proxy-credentials.json');
    writeFileSync(creds, JSON.stringify(credentials));
    const cfg = join(f.dir, 'proxy.json');
    writeFileSync(cfg, JSON.stringify({ url: `https://localhost:${ports[0]}`, ca_file: certFile, credentials_file: creds, timeout_seconds: 5 }));
    process.env['STRONGROOM_PKCS11_CONFIG'] = cfg;
    p = new pkcs11js.PKCS11();
    p.load(libraryPath);
    p.C_Initialize();
    session = p.C_OpenSession(p.C_GetSlotList(true)[0]!, pkcs11js.CKF_SERIAL_SESSION);
    p.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: 'fault-ec' }]);
    key = p.C_FindObjects(session, 1)[0]!;
    p.C_FindObjectsFinal(session);
    assert.ok(key !== undefined, 'the key is listed through the proxy');
  });

  after(async () => {
    try { p?.C_Finalize(); } catch { /* not initialised */ }
    proxy?.kill('SIGTERM');
    await f?.stop();
  });

  it('signs through the proxy with one token for many calls', async () => {
    const before = await control('/stats');
    for (let i = 0; i < 5; i++) assert.equal(signRv(), 'CKR_OK');
    const after = await control('/stats');
    assert.equal(after.tokenRequests, before.tokenRequests, 'the cached token is reused');
    assert.equal(after.signRequests - before.signRequests, 5);
  });

  it('waits for a slow answer', async () => {
    await control('/faults', ['delay']);
    assert.equal(signRv(), 'CKR_OK');
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    await control('/faults', ['429']);
    const start = Date.now();
    assert.equal(signRv(), 'CKR_OK');
    assert.ok(Date.now() - start >= 950, 'waited the Retry-After second');
  });

  it('retries 503 with back-off, and answers CKR_DEVICE_ERROR when 5xx persists', async () => {
    await control('/faults', ['503', '503']);
    assert.equal(signRv(), 'CKR_OK');
    const before = await control('/faults', ['500', '500', '500', '500', '500', '500']);
    assert.equal(signRv(), 'CKR_DEVICE_ERROR');
    const after = await control('/clear');
    assert.equal(after.signRequests - before.signRequests, 4, 'bounded: four attempts');
  });

  it('recovers from a dropped connection and from keep-alive connections closed while idle', async () => {
    await control('/faults', ['drop']);
    assert.equal(signRv(), 'CKR_OK');
    await control('/drop-idle');
    assert.equal(signRv(), 'CKR_OK');
  });

  it('renews a token the service refuses (401) once, then signs', async () => {
    const before = await control('/faults', ['401']);
    assert.equal(signRv(), 'CKR_OK');
    assert.equal((await control('/stats')).tokenRequests, before.tokenRequests + 1);
  });
});
