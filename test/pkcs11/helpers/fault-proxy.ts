/**
 * A TLS proxy in front of a real Strongroom that injects faults into /sign requests, run as its own process (the
 * module blocks the test's event loop while it waits for an answer). Control over plain HTTP on 127.0.0.1:
 *   POST /faults  ["429","503",...]   queue faults, one per sign request
 *   GET  /stats                        {"tokenRequests":n,"signRequests":n}
 *   POST /drop-idle                    close every client connection, as a server closing idle keep-alives
 * argv: <key.pem> <cert.pem> <upstream origin> <upstream CA file>. Prints "ports <tls> <control>" once listening.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

const [keyFile, certFile, upstream, caFile] = process.argv.slice(2);
if (keyFile === undefined || certFile === undefined || upstream === undefined || caFile === undefined) throw new Error('usage');
const agent = new https.Agent({ ca: readFileSync(caFile), keepAlive: true });
const upstreamHost = new URL(upstream).host;
const faults: string[] = [];
const stats = { tokenRequests: 0, signRequests: 0 };
const sockets = new Set<Socket>();

function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const up = https.request(upstream + (req.url ?? '/'), { method: req.method, agent, headers: { ...req.headers, host: upstreamHost } }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  up.on('error', () => res.destroy());
  up.end(body);
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const tls = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile), keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const url = req.url ?? '';
    if (url.includes('/oauth2/v2.0/token')) stats.tokenRequests++;
    if (!url.includes('/sign')) { forward(req, res, body); return; }
    stats.signRequests++;
    switch (faults.shift()) {
      case 'delay': setTimeout(() => forward(req, res, body), 400); return;
      case '429': json(res, 429, { error: { code: 'Throttled' } }, { 'retry-after': '1' }); return;
      case '503': json(res, 503, { error: { code: 'ServiceUnavailable' } }); return;
      case '500': json(res, 500, { error: { code: 'InternalServerError' } }); return;
      case '401': json(res, 401, { error: { code: 'Unauthorized' } }); return;
      case 'drop': req.socket.destroy(); return;
      default: forward(req, res, body);
    }
  });
});
tls.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

const control = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/faults') faults.push(...(JSON.parse(Buffer.concat(chunks).toString()) as string[]));
    if (req.url === '/clear') faults.length = 0;
    if (req.url === '/drop-idle') for (const s of sockets) s.destroy();
    json(res, 200, stats);
  });
});

tls.listen(0, '127.0.0.1', () => control.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ports ${(tls.address() as AddressInfo).port} ${(control.address() as AddressInfo).port}\n`);
}));
process.on('SIGTERM', () => process.exit(0));
