/**
 * Raw bytes over TLS, for what no HTTP client sends (broken framing, two Host headers, a NUL in a header): a
 * fresh connection to a test server, the bytes written as they are, and the answer read back as text.
 */
import { connect } from 'node:tls';
import type { TestServer } from './server-process.ts';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, status line included. */
  text: string;
}

/**
 * Writes `bytes` and collects what comes back until the server closes the connection or `waitMs` pass; with
 * `untilComplete`, also stops as soon as one answer with a Content-Length is complete.
 */
export function rawExchange(
  server: TestServer,
  bytes: string | Buffer,
  options: { waitMs?: number; untilComplete?: boolean } = {},
): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect({ port: server.port, host: '127.0.0.1', ca: server.ca, servername: 'localhost' }, () => socket.write(bytes));
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(finish, options.waitMs ?? 5000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (options.untilComplete === true && isComplete(parseRawAnswer(text))) finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', finish);
  });
}

/** The first answer in `text`: status, headers (names lower-cased) and body; status 0 when there is none. */
export function parseRawAnswer(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: end === -1 ? '' : text.slice(end + 4), text };
}

function isComplete(answer: RawAnswer): boolean {
  const length = answer.headers['content-length'];
  return length !== undefined && Buffer.byteLength(answer.body, 'latin1') >= Number(length);
}
