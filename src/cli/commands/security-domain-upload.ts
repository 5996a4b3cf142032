/**
 * `strongroom security-domain upload`: restores a security domain into an instance (one started with
 * --require-activation, or a replacement for a lost one). The custodians' keys open their shares here, on
 * this machine; the shares are recombined here, and the domain key is re-wrapped to the instance's transfer
 * key before anything is sent, so the server never sees a share and the network never sees the domain key.
 * The domain key lives only in this process's memory and is wiped as soon as the blob is made.
 */
import { readFileSync } from 'node:fs';
import { createUploadBlob, parseTransferKey, recoverDomainSecret, SecurityDomainFormatError, type DomainSecret } from '../../custody/security-domain-file.ts';
import { COMMON_OPTIONS, CommandFailure, printResult, required, UsageError, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';
import { readPrivateKey } from '../custodian-files.ts';
import { pollOperation } from '../long-running-operation.ts';
import { Progress } from '../progress.ts';

const OPTIONS = {
  'sd-file': { type: 'string', value: 'FILE', description: 'The security domain file a download wrote.' },
  'sd-wrapping-keys': { type: 'string', variadic: true, value: 'KEY', description: 'Private keys (PEM) of at least the quorum of custodians.' },
  passwords: { type: 'string', variadic: true, value: 'PASSWORD', description: 'Passwords of encrypted keys, in the order of --sd-wrapping-keys ("" for a key without one).' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

export const securityDomainUpload: Command<typeof OPTIONS> = {
  name: 'security-domain upload',
  summary: 'Restore a security domain into an instance from its file and a quorum of custodian keys (recombined locally, never on the server).',
  examples: [
    'strongroom security-domain upload --sd-file sd.json --sd-wrapping-keys c1.key c2.key',
    'strongroom security-domain upload --url https://new-hsm:8443 --data-dir ./new-data --sd-file sd.json \\',
    '    --sd-wrapping-keys c1.key c3.key --passwords "$P1" "$P3" --json',
  ],
  options: OPTIONS,
  async run(values, io) {
    const file = required(values['sd-file'], '--sd-file');
    const keyFiles = required(values['sd-wrapping-keys'], '--sd-wrapping-keys');
    const passwords = values.passwords ?? [];
    if (passwords.length > 0 && passwords.length !== keyFiles.length) {
      throw new UsageError(`--passwords gives ${passwords.length} passwords for ${keyFiles.length} keys; give one per key, "" for a key without one`);
    }
    const securityDomain = readSecurityDomainFile(file);
    const keys = keyFiles.map((keyFile, index) => ({ privateKey: readPrivateKey(keyFile, passwords[index]) }));
    const client = connect(values, io.env);
    const progress = new Progress(io.stderr);
    let domain: DomainSecret | undefined;
    try {
      progress.update('Security domain upload: recombining the shares');
      domain = await recoverDomainSecret(securityDomain, keys).catch((error: unknown) => explain(error, keyFiles));
      progress.update('Security domain upload: fetching the transfer key');
      const exchange = await client.request('GET', '/securitydomain/upload');
      const transferKey = parseTransferKey((exchange.body as { transfer_key?: unknown } | undefined)?.transfer_key);
      const value = await createUploadBlob(domain, transferKey);
      domain.key.fill(0);
      progress.update('Security domain upload: uploading');
      const initial = await client.request('POST', '/securitydomain/upload', { value });
      await pollOperation(client, initial, { fallbackUrl: '/securitydomain/upload/pending', label: 'Security domain upload', progress });
      printResult(io, values.json, { status: 'Success', domainId: domain.id }, [`Security domain ${domain.id} uploaded; the instance is activated.`]);
    } catch (error) {
      progress.end();
      throw error instanceof SecurityDomainFormatError ? new CommandFailure(error.message) : error;
    } finally {
      domain?.key.fill(0);
      client.close();
    }
  },
};

function readSecurityDomainFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CommandFailure(`cannot read --sd-file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** The format module numbers the keys from 1; name the files instead. */
function explain(error: unknown, keyFiles: string[]): never {
  if (!(error instanceof SecurityDomainFormatError)) throw error;
  const named = error.message.replace(/\bKey (\d+)/g, (text, n: string) => `${text} (${keyFiles[Number(n) - 1] ?? '?'})`);
  throw new CommandFailure(`cannot restore the security domain: ${named}`);
}
