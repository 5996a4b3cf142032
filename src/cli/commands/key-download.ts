/**
 * `strongroom key download --name NAME [--version V] [--out FILE]`: a key's public key as SPKI PEM (or DER),
 * as `az keyvault key download` gives it; the first step of BYOK, where the vendor tool needs the key-exchange
 * key's public key. Public material only: the file is written with the usual mode, never over an existing one
 * unless --force.
 */
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { COMMON_OPTIONS, CommandFailure, printResult, required, UsageError, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';
import { spkiPemOfJwk } from '../pem-keys.ts';

const OPTIONS = {
  name: { type: 'string', value: 'NAME', description: 'The key, e.g. the key-exchange key of a BYOK import.' },
  version: { type: 'string', value: 'VERSION', description: 'A version of the key (default: the latest).' },
  out: { type: 'string', value: 'FILE', description: 'Write the public key here (default: print it on stdout).' },
  encoding: { type: 'string', value: 'PEM|DER', description: 'PEM (SPKI, the default) or DER (SPKI); DER needs --out.' },
  force: { type: 'boolean', description: 'Replace an existing --out file.' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

export const keyDownload: Command<typeof OPTIONS> = {
  name: 'key download',
  summary: 'Download the public key of an RSA or EC key as SPKI PEM (or DER); --json: {kid, kty, out?, pem}.',
  examples: [
    'strongroom key download --name my-kek --out kek-public.pem',
    'strongroom key download --name my-kek --version 1f0e… --out kek.der --encoding DER',
  ],
  options: OPTIONS,
  async run(values, io) {
    const name = required(values.name, '--name');
    const encoding = (values.encoding ?? 'PEM').toUpperCase();
    if (encoding !== 'PEM' && encoding !== 'DER') throw new UsageError('--encoding must be PEM or DER');
    if (encoding === 'DER' && values.out === undefined) throw new UsageError('--encoding DER needs --out');
    const client = connect(values, io.env);
    try {
      const path = `/keys/${encodeURIComponent(name)}${values.version === undefined ? '' : `/${encodeURIComponent(values.version)}`}`;
      const key = ((await client.request('GET', path)).body as { key?: Record<string, unknown> } | undefined)?.key ?? {};
      const pem = spkiPemOfJwk(key);
      const kid = String(key['kid'] ?? '');
      if (values.out !== undefined) writeOut(values.out, encoding === 'DER' ? derOf(pem) : pem, values.force === true);
      const lines = values.out === undefined ? [pem.trimEnd()] : [`Wrote the public key of ${kid} to ${values.out} (${encoding}).`];
      printResult(io, values.json, { kid, kty: key['kty'], ...(values.out === undefined ? {} : { out: values.out }), pem }, lines);
    } finally {
      client.close();
    }
  },
};

function derOf(pem: string): Buffer {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' });
}

function writeOut(file: string, content: string | Buffer, force: boolean): void {
  try {
    writeFileSync(file, content, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandFailure(code === 'EEXIST' ? `${file} exists; give --force to replace it, or another --out` : `cannot write ${file}: ${code ?? String(error)}`);
  }
}
