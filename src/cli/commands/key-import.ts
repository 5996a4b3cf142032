/**
 * `strongroom key import --name NAME --pem-file key.pem | --byok-file key.byok --kty RSA|EC|oct`: imports a
 * key with `PUT /keys/{name}`, as `az keyvault key import` does.
 *
 * - `--pem-file`: an RSA or EC private key (PKCS#1, PKCS#8 plain or encrypted, SEC1) is converted to a private
 *   JSON Web Key here, on the client, and sent over TLS; the key and its password are never printed or logged.
 * - `--byok-file`: a transfer blob (`byok blob` or a vendor tool) is sent as it is, base64url, in `key_hsm`;
 *   the key inside is only ever unwrapped by the service, with the key-exchange key the blob names.
 */
import { COMMON_OPTIONS, CommandFailure, printResult, required, UsageError, type Command, type OptionValues } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';
import { passwordOf, privateJwkOf, privateKeyFromPem, readKeyFile } from '../pem-keys.ts';

const KTY: Record<string, string> = { RSA: 'RSA-HSM', 'RSA-HSM': 'RSA-HSM', EC: 'EC-HSM', 'EC-HSM': 'EC-HSM', oct: 'oct-HSM', 'oct-HSM': 'oct-HSM', AES: 'oct-HSM' };

const OPTIONS = {
  name: { type: 'string', value: 'NAME', description: 'The key to import into (a new key, or a new version of an existing one).' },
  'pem-file': { type: 'string', value: 'FILE', description: 'An RSA or EC private key PEM: PKCS#1, PKCS#8 (plain or encrypted), SEC1.' },
  'pem-password': { type: 'string', value: 'PASSWORD', description: 'Password of an encrypted --pem-file (--pem-password-file keeps it out of the process list).' },
  'pem-password-file': { type: 'string', value: 'FILE', description: 'File whose first line is the password of an encrypted --pem-file.' },
  'byok-file': { type: 'string', value: 'FILE', description: 'A BYOK transfer blob (.byok) made for a key-exchange key of this instance.' },
  kty: { type: 'string', value: 'RSA|EC|oct', description: 'The type of the key inside --byok-file (required with it).' },
  curve: { type: 'string', value: 'CURVE', description: 'The curve of an EC key inside --byok-file: P-256, P-256K, P-384, P-521.' },
  ops: { type: 'string', value: 'OPS', description: 'Comma-separated key_ops, e.g. sign,verify (default: the service\'s for the key type).' },
  disabled: { type: 'boolean', description: 'Import the key disabled (attributes.enabled false).' },
  exportable: { type: 'boolean', description: 'Make the key exportable by secure key release (needs --policy).' },
  policy: { type: 'string', value: 'FILE', description: 'The key release policy (a JSON file), as az keyvault key import --policy takes it.' },
  immutable: { type: 'boolean', description: 'Make the release policy immutable (it can then never be changed).' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

type Values = OptionValues<typeof OPTIONS>;

export const keyImport: Command<typeof OPTIONS> = {
  name: 'key import',
  summary: 'Import a private key from a PEM file, or a BYOK transfer blob (--byok-file); --json: the key bundle (public parts only).',
  examples: [
    'strongroom key import --name signing --pem-file key.pem --ops sign,verify',
    'strongroom key import --name signing --pem-file key.p8 --pem-password-file password.txt',
    'strongroom key import --name from-hsm --byok-file key.byok --kty EC --curve P-256',
    'strongroom key import --name released --pem-file key.pem --exportable --policy release-policy.json',
  ],
  options: OPTIONS,
  async run(values, io) {
    const name = required(values.name, '--name');
    const key = keyOf(values);
    const ops = values.ops === undefined ? undefined : values.ops.split(',').map((op) => op.trim()).filter((op) => op !== '');
    const body = {
      key: { ...key, ...(ops === undefined ? {} : { key_ops: ops }) },
      Hsm: true,
      attributes: { enabled: values.disabled !== true, ...(values.exportable === true ? { exportable: true } : {}) },
      ...releasePolicyOf(values),
    };
    const client = connect(values, io.env);
    try {
      const bundle = (await client.request('PUT', `/keys/${encodeURIComponent(name)}`, body)).body as { key?: Record<string, unknown> };
      const imported = bundle.key ?? {};
      printResult(io, values.json, bundle, [`Imported ${String(imported['kid'] ?? name)} (${String(imported['kty'] ?? '')}; key_ops ${(imported['key_ops'] as string[] | undefined)?.join(', ') ?? ''}).`]);
    } finally {
      client.close();
    }
  },
};

/** The `key` member of the request: a private JWK from --pem-file, or key_hsm from --byok-file. */
function keyOf(values: Values): Record<string, unknown> {
  const pemFile = values['pem-file'];
  const byokFile = values['byok-file'];
  if ((pemFile === undefined) === (byokFile === undefined)) throw new UsageError('give one of --pem-file and --byok-file');
  if (pemFile !== undefined) {
    if (values.kty !== undefined || values.curve !== undefined) throw new UsageError('--kty and --curve go with --byok-file; a PEM file names its own key type');
    const password = passwordOf(values['pem-password'], values['pem-password-file'], ['--pem-password', '--pem-password-file']);
    const content = readKeyFile(pemFile, '--pem-file');
    try {
      return privateJwkOf(privateKeyFromPem(content, pemFile, password));
    } finally {
      content.fill(0);
    }
  }
  if (values['pem-password'] !== undefined || values['pem-password-file'] !== undefined) throw new UsageError('--pem-password goes with --pem-file');
  return byokKeyOf(byokFile ?? '', values);
}

function byokKeyOf(file: string, values: Values): Record<string, unknown> {
  const kty = KTY[required(values.kty, '--kty')];
  if (kty === undefined) throw new UsageError('--kty must be RSA, EC or oct');
  if (values.curve !== undefined && kty !== 'EC-HSM') throw new UsageError('--curve goes with --kty EC');
  const blob = readKeyFile(file, '--byok-file');
  try {
    JSON.parse(blob.toString('utf8'));
  } catch {
    throw new CommandFailure(`${file} is not a BYOK transfer blob (not JSON)`);
  }
  return { kty, ...(values.curve === undefined ? {} : { crv: values.curve }), key_hsm: blob.toString('base64url') };
}

/** `release_policy` from --policy: the document as given, base64url (the service validates its grammar). */
function releasePolicyOf(values: Values): { release_policy?: { data: string; immutable?: boolean } } {
  if (values.policy === undefined) {
    if (values.immutable === true) throw new UsageError('--immutable goes with --policy');
    return {};
  }
  const document = readKeyFile(values.policy, '--policy');
  try {
    JSON.parse(document.toString('utf8'));
  } catch {
    throw new CommandFailure(`${values.policy} is not a JSON release policy`);
  }
  return { release_policy: { data: document.toString('base64url'), ...(values.immutable === true ? { immutable: true } : {}) } };
}
