/**
 * `strongroom security-domain download`: the custodians' certificates go to the instance, which answers with
 * the security domain file (its domain key split into one share per certificate, any `--sd-quorum` of which
 * restore it). The file is written at once, owner-only, and never over an existing one unless --force: it
 * may be the only copy of an earlier domain. Then the operation is followed until the instance reports success.
 */
import { COMMON_OPTIONS, CommandFailure, printResult, required, UsageError, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';
import { readCertificateJwk } from '../custodian-files.ts';
import { pollOperation } from '../long-running-operation.ts';
import { openPrivateOutputFile, type PrivateOutputFile } from '../private-output-file.ts';
import { Progress } from '../progress.ts';
import type { ServiceClient, ServiceResponse } from '../service-client.ts';

const OPTIONS = {
  'sd-wrapping-keys': { type: 'string', variadic: true, value: 'CERT', description: 'The custodians\' certificates (PEM or DER), 3 to 10, one share each.' },
  'sd-quorum': { type: 'string', value: 'N', description: 'How many custodians it takes to restore the domain, 2 to 10 and at most the number of certificates.' },
  'security-domain-file': { type: 'string', value: 'FILE', description: 'Where to write the security domain file (mode 0600; not over an existing file).' },
  force: { type: 'boolean', description: 'Replace an existing --security-domain-file.' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

export const securityDomainDownload: Command<typeof OPTIONS> = {
  name: 'security-domain download',
  summary: 'Download the security domain of an instance, split among the custodians\' certificates (activates an instance started with --require-activation).',
  examples: [
    'strongroom security-domain download --sd-wrapping-keys c1.cer c2.cer c3.cer --sd-quorum 2 --security-domain-file sd.json',
    'strongroom security-domain download --url https://hsm.example:8443 --ca ca.pem --credentials admin.json \\',
    '    --sd-wrapping-keys c1.cer c2.cer c3.cer c4.cer c5.cer --sd-quorum 3 --security-domain-file sd.json --json',
  ],
  options: OPTIONS,
  async run(values, io) {
    const certificates = required(values['sd-wrapping-keys'], '--sd-wrapping-keys');
    if (certificates.length < 3 || certificates.length > 10) throw new UsageError(`--sd-wrapping-keys takes 3 to 10 certificates; ${certificates.length} given`);
    const quorum = quorumOf(required(values['sd-quorum'], '--sd-quorum'), certificates.length);
    const file = required(values['security-domain-file'], '--security-domain-file');
    const jwks = certificates.map(readCertificateJwk);
    const client = connect(values, io.env);
    try {
      // Before the request, so that a file that cannot be written costs no download.
      const target = openPrivateOutputFile(file, { force: values.force === true, option: '--security-domain-file' });
      const progress = new Progress(io.stderr);
      const initial = await requestFile(client, { certificates: jwks, required: quorum }, target, progress);
      try {
        await pollOperation(client, initial, { fallbackUrl: '/securitydomain/download/pending', label: 'Security domain download', progress });
      } catch (error) {
        throw new CommandFailure(`${(error as Error).message}; the file ${file} was written but the instance did not confirm the download`, { cause: error });
      }
      printResult(io, values.json, { securityDomainFile: file, certificates: jwks.length, required: quorum, status: 'Success' }, [
        `Security domain written to ${file}: ${jwks.length} shares, any ${quorum} of which restore it.`,
        'Each custodian keeps the private key of their certificate; keep the file safe too.',
      ]);
    } finally {
      client.close();
    }
  },
};

/** POST /securitydomain/download; its `value` goes into the file, which is removed if there is none. */
async function requestFile(client: ServiceClient, body: object, target: PrivateOutputFile, progress: Progress): Promise<ServiceResponse> {
  progress.update('Security domain download: requesting');
  try {
    const initial = await client.request('POST', '/securitydomain/download', body);
    const value = (initial.body as { value?: unknown } | undefined)?.value;
    if (typeof value !== 'string') throw new CommandFailure('the instance answered the download without a security domain (no value)');
    target.write(value);
    return initial;
  } catch (error) {
    progress.end();
    target.abandon();
    throw error;
  }
}

function quorumOf(raw: string, certificates: number): number {
  const quorum = Number(raw);
  if (!/^\d+$/.test(raw) || quorum < 2 || quorum > 10) throw new UsageError('--sd-quorum must be a whole number from 2 to 10');
  if (quorum > certificates) throw new UsageError(`--sd-quorum ${quorum} is more than the ${certificates} certificates`);
  return quorum;
}
