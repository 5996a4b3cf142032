/**
 * The machine's HTTPS floor: a Node HTTPS server that does nothing but read the request and answer a small
 * JSON body, with as many cluster workers as the service runs. Loaded like the service, it shows what the
 * network path and Node's HTTP stack cost on this machine before any Strongroom code runs.
 * Run as a child process: prints `listening PORT` when every worker accepts connections.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';

const [certFile, keyFile, workersArg] = process.argv.slice(2);
const workers = Number(workersArg ?? 1);
const body = JSON.stringify({ kid: 'https://localhost/keys/floor/00000000000000000000000000000000', value: 'x'.repeat(86) });

if (cluster.isPrimary) {
  let ready = 0;
  let port = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (message: { port: number }) => {
      port = message.port;
      if (++ready === workers) process.stdout.write(`listening ${port}\n`);
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  const server = createServer({ cert: readFileSync(certFile ?? ''), key: readFileSync(keyFile ?? '') }, (request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  server.keepAliveTimeout = 120_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address !== null ? address.port : 0 });
  });
}
