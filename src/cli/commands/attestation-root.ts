/**
 * `strongroom attestation root [--out FILE]`: the instance attestation root certificate (PEM), the trust anchor
 * of `strongroom attestation verify` and of released keys. It is read from the store (`--data-dir`, or `--store`
 * for a cluster's PostgreSQL database), not from a running server: the root must reach a verifier by a path
 * the server does not control, and the store holds it in the clear (only its private key is sealed), so
 * nothing is unwrapped and the command works while the service is down.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { ATTESTATION_ROOT_SETTING } from '../../custody/instance-attestation.ts';
import { COMMON_OPTIONS, CommandFailure, printResult, type Command } from '../command.ts';
import { STORE_OPTIONS, storeLocation, withAuditStore } from './audit-shared.ts';

const OPTIONS = {
  out: { type: 'string', value: 'FILE', description: 'Write the root certificate (PEM) here (default: print it on stdout).' },
  force: { type: 'boolean', description: 'Replace an existing --out file.' },
  ...STORE_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

export const attestationRoot: Command<typeof OPTIONS> = {
  name: 'attestation root',
  summary: 'Export the instance attestation root certificate (PEM) from the store; --json: {subject, sha256, notAfter, out?, pem}.',
  examples: [
    'strongroom attestation root --data-dir ./strongroom-data --out root.pem',
    'strongroom attestation root --store postgres://strongroom@db/strongroom --out root.pem',
  ],
  options: OPTIONS,
  async run(values, io) {
    const stored = await withAuditStore(storeLocation(values, io.env), (store) => store.reader.settings.getSetting(ATTESTATION_ROOT_SETTING));
    if (stored === undefined) throw new CommandFailure('this store has no instance attestation root yet: start the service once (strongroom serve) to create it');
    const pem = `${(JSON.parse(stored) as { certificatePem: string }).certificatePem.trimEnd()}\n`;
    const certificate = new X509Certificate(pem);
    if (values.out !== undefined) writeOut(values.out, pem, values.force === true);
    const sha256 = createHash('sha256').update(certificate.raw).digest('hex');
    const summary = { subject: certificate.subject, sha256, notAfter: certificate.validTo, ...(values.out === undefined ? {} : { out: values.out }), pem };
    const lines = values.out === undefined
      ? [pem.trimEnd()]
      : [`Wrote the instance attestation root to ${values.out}.`, `  subject  ${certificate.subject.replace(/\n/g, ', ')}`, `  SHA-256  ${sha256}`, `  expires  ${certificate.validTo}`];
    printResult(io, values.json, summary, lines);
  },
};

function writeOut(file: string, content: string, force: boolean): void {
  try {
    writeFileSync(file, content, { flag: force ? 'w' : 'wx', mode: 0o644 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandFailure(code === 'EEXIST' ? `${file} exists; give --force to replace it, or another --out` : `cannot write ${file}: ${code ?? String(error)}`);
  }
}
