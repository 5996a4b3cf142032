/**
 * A tiny HTTPS stand-in for a Strongroom instance, for the CLI's protocol details only (sign-in, the error
 * envelope, long-running-operation polling, Retry-After): a token endpoint that checks the client secret,
 * a 401 challenge without a bearer token, and whatever routes a test gives. It records every request. The
 * real service is exercised by security-domain-ceremony.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueServerCertificate } from '../../src/tls/certificates.ts';
import type { CommandIo } from '../../src/cli/command.ts';
import { runCli } from '../../src/cli/cli.ts';

export interface StubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

export interface StubAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type StubRoute = (request: StubRequest, stub: StubService) => StubAnswer | Promise<StubAnswer>;

export interface StubService {
  url: string;
  /** A data directory with tls/ca.pem and admin-credentials.json pointing at the stub. */
  dataDir: string;
  requests: StubRequest[];
  tokensIssued: number;
  routes: Map<string, StubRoute>;
  /** Runs a CLI command in this process against the stub; captures its output. */
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = { id: 'cli-test-client', secret: 'cli-test-secret' };

export async function startStub(routes: Record<string, StubRoute> = {}): Promise<StubService> {
  const ca = await createCertificateAuthority();
  const tls = await issueServerCertificate(ca, ['localhost', '127.0.0.1']);
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-cli-stub-'));
  const server = https.createServer({ cert: tls.certificatePem, key: tls.privateKeyPem });
  const stub: StubService = {
    url: '',
    dataDir,
    requests: [],
    tokensIssued: 0,
    routes: new Map(Object.entries(routes)),
    run: (args) => runInProcess(args),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  server.on('request', (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', stub.url);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch { /* a form body stays text */ }
      const request: StubRequest = { method: incoming.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: incoming.headers, body, text };
      stub.requests.push(request);
      void Promise.resolve(answer(stub, request)).then((result) => {
        outgoing.writeHead(result.status, { 'content-type': 'application/json; charset=utf-8', ...result.headers });
        outgoing.end(result.body === undefined ? undefined : JSON.stringify(result.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `https://localhost:${(server.address() as AddressInfo).port}`;
  writeFileSync(join(dataDir, 'admin-credentials.json'), JSON.stringify({ tenantId: TENANT, clientId: CLIENT.id, clientSecret: CLIENT.secret, authorityHost: stub.url }));
  mkdirSync(join(dataDir, 'tls'));
  writeFileSync(join(dataDir, 'tls', 'ca.pem'), ca.certificatePem);
  return stub;

  async function runInProcess(args: string[]) {
    let stdout = '';
    let stderr = '';
    const io: CommandIo = {
      stdout: { write: (chunk: string) => { stdout += chunk; return true; } } as unknown as NodeJS.WritableStream,
      stderr: { write: (chunk: string) => { stderr += chunk; return true; } } as unknown as NodeJS.WritableStream,
      env: { STRONGROOM_DATA_DIR: dataDir },
    };
    const code = await runCli(args, io);
    return { code, stdout, stderr };
  }
}

function answer(stub: StubService, request: StubRequest): StubAnswer | Promise<StubAnswer> {
  if (request.method === 'POST' && request.path === `/${TENANT}/oauth2/v2.0/token`) {
    const form = new URLSearchParams(request.text);
    if (form.get('client_secret') !== CLIENT.secret) return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
    stub.tokensIssued++;
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3600, access_token: `token-${stub.tokensIssued}-for-${form.get('scope')}` } };
  }
  if (!String(request.headers['authorization'] ?? '').startsWith('Bearer token-')) {
    return {
      status: 401,
      headers: { 'www-authenticate': `Bearer authorization="${stub.url}/${TENANT}", resource="https://localhost"` },
      body: { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer, PoP, or MTLS_POP token.' } },
    };
  }
  const route = stub.routes.get(`${request.method} ${request.path}`);
  if (route === undefined) return { status: 404, body: { error: { code: 'NotFound', message: `no stub route ${request.method} ${request.path}` } } };
  return route(request, stub);
}
