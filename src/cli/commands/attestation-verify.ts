/**
 * `strongroom attestation verify --key-id KID --root root.pem`: fetches the key's attestation
 * (GET {kid}/attestation) and checks it offline against the given instance attestation root
 * (domain/keys/key-attestation-verification.ts); or checks a bundle saved earlier (`--bundle FILE`) without
 * any connection. Exit 0 with a summary; exit 1 naming what failed.
 */
import { readFileSync } from 'node:fs';
import { verifyKeyAttestation, type ExpectedKey } from '../../domain/keys/key-attestation-verification.ts';
import { COMMON_OPTIONS, CommandFailure, printResult, required, UsageError, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';

const OPTIONS = {
  'key-id': { type: 'string', value: 'KID', description: 'The key: https://host/keys/NAME[/VERSION] (no version: the latest).' },
  root: { type: 'string', value: 'FILE', description: 'The instance attestation root to trust (PEM), from `strongroom attestation root`.' },
  bundle: { type: 'string', value: 'FILE', description: 'Check this saved key bundle (the JSON of GET …/attestation) instead of fetching one.' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

export const attestationVerify: Command<typeof OPTIONS> = {
  name: 'attestation verify',
  summary: 'Check a key\'s attestation against an instance attestation root: chain, signatures, kid, version, public key; exit 1 naming what failed.',
  examples: [
    'strongroom attestation verify --key-id https://localhost:8443/keys/my-key --root root.pem',
    'strongroom attestation verify --key-id https://localhost:8443/keys/my-key/1f0e… --root root.pem --bundle saved.json --json',
  ],
  options: OPTIONS,
  async run(values, io) {
    const expected = parseKeyId(required(values['key-id'], '--key-id'));
    const rootPem = readText(required(values.root, '--root'), '--root');
    const bundle = values.bundle === undefined ? await fetchBundle(values, io.env, expected) : parseJson(readText(values.bundle, '--bundle'), values.bundle);
    const report = verifyKeyAttestation(bundle, rootPem, expected);
    // With --json a failure is the usual {error: {code, message}} object; the message names what failed.
    if (!report.ok) throw new CommandFailure(`the attestation does not verify: ${report.failures.join('; ')}`);
    printResult(io, values.json, report, [
      `Attestation of ${report.kid} verified against the root (SHA-256 ${report.root}).`,
      `  ${report.kty}, origin ${report.origin}, exportable ${String(report.exportable)}, attested at ${new Date((report.attestedAt ?? 0) * 1000).toISOString()}`,
      report.publicKeyThumbprint === undefined ? '  secret key: commitment attested (no public key)' : `  public key thumbprint (RFC 7638) ${report.publicKeyThumbprint}`,
    ]);
  },
};

function parseKeyId(kid: string): ExpectedKey {
  let url: URL;
  try {
    url = new URL(kid);
  } catch {
    throw new UsageError(`--key-id ${kid} is not a key identifier URL (https://host/keys/NAME[/VERSION])`);
  }
  const match = /^\/keys\/([0-9a-zA-Z-]+)(?:\/([0-9a-zA-Z]*))?\/?$/.exec(url.pathname);
  if (match === null) throw new UsageError(`--key-id ${kid} is not of the form https://host/keys/NAME[/VERSION]`);
  return { name: match[1]!, version: match[2] === undefined || match[2] === '' ? undefined : match[2] };
}

async function fetchBundle(values: Parameters<typeof connect>[0], env: NodeJS.ProcessEnv, key: ExpectedKey): Promise<unknown> {
  const client = connect(values, env);
  try {
    const path = `/keys/${encodeURIComponent(key.name)}${key.version === undefined ? '' : `/${encodeURIComponent(key.version)}`}/attestation`;
    return (await client.request('GET', path)).body;
  } finally {
    client.close();
  }
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CommandFailure(`cannot read ${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function parseJson(content: string, file: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    throw new CommandFailure(`${file} is not JSON`);
  }
}
