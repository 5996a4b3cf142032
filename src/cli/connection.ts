/**
 * How a command reaches a running instance: the options every such command takes (`--url`, `--ca`,
 * `--credentials` or `--client-id/--client-secret/--tenant-id`, `--data-dir`) and their defaults, which are
 * the files `strongroom serve` wrote into its data directory: `<data-dir>/tls/ca.pem` and
 * `<data-dir>/admin-credentials.json`, whose `authorityHost` is also where the service listens. So on the
 * server's own machine `strongroom backup --to …` needs nothing else.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CommandFailure, UsageError, type OptionSpecs, type OptionValues } from './command.ts';
import { ServiceClient, type ClientCredentials } from './service-client.ts';

export const CONNECTION_OPTIONS = {
  url: { type: 'string', value: 'URL', description: 'The instance, e.g. https://localhost:8443 (default: authorityHost of the credentials file, else https://localhost:8443).' },
  ca: { type: 'string', value: 'FILE', description: 'PEM CA certificate to trust (default <data-dir>/tls/ca.pem when it exists, else the system roots).' },
  credentials: { type: 'string', value: 'FILE', description: 'Credentials file {tenantId, clientId, clientSecret, authorityHost} (default <data-dir>/admin-credentials.json).' },
  'client-id': { type: 'string', value: 'ID', description: 'Service principal id, instead of a credentials file (with --client-secret and --tenant-id).' },
  'client-secret': { type: 'string', value: 'SECRET', description: 'Service principal secret (env STRONGROOM_CLIENT_SECRET keeps it out of the process list).' },
  'tenant-id': { type: 'string', value: 'ID', description: 'Tenant id of the service principal.' },
  'data-dir': { type: 'string', value: 'DIR', description: 'Data directory whose CA and credentials files are the defaults (env STRONGROOM_DATA_DIR, default ./strongroom-data).' },
} as const satisfies OptionSpecs;

const DEFAULT_URL = 'https://localhost:8443';

export function connect(values: OptionValues<typeof CONNECTION_OPTIONS>, env: NodeJS.ProcessEnv): ServiceClient {
  const dataDir = resolve(values['data-dir'] ?? env['STRONGROOM_DATA_DIR'] ?? 'strongroom-data');
  const credentials = credentialsOf(values, env, dataDir);
  const url = urlOf(values.url ?? credentials.authorityHost ?? DEFAULT_URL);
  const caFile = values.ca ?? join(dataDir, 'tls', 'ca.pem');
  const ca = values.ca !== undefined || existsSync(caFile) ? readText(caFile, '--ca') : undefined;
  return new ServiceClient({ url, ca, credentials: { ...credentials, authorityHost: credentials.authorityHost ?? url.origin } });
}

type Credentials = Omit<ClientCredentials, 'authorityHost'> & { authorityHost?: string | undefined };

function credentialsOf(values: OptionValues<typeof CONNECTION_OPTIONS>, env: NodeJS.ProcessEnv, dataDir: string): Credentials {
  const clientSecret = values['client-secret'] ?? env['STRONGROOM_CLIENT_SECRET'];
  const inline = [values['client-id'], values['client-secret'], values['tenant-id']];
  if (inline.some((value) => value !== undefined)) {
    if (values.credentials !== undefined) throw new UsageError('--credentials and --client-id/--client-secret/--tenant-id are alternatives; give one');
    const [clientId, , tenantId] = inline;
    if (clientId === undefined || clientSecret === undefined || tenantId === undefined) {
      throw new UsageError('--client-id, --client-secret and --tenant-id go together');
    }
    return { clientId, clientSecret, tenantId };
  }
  const file = values.credentials ?? join(dataDir, 'admin-credentials.json');
  if (values.credentials === undefined && !existsSync(file)) {
    throw new CommandFailure(`no credentials: ${file} does not exist; give --credentials FILE, --data-dir DIR, or --client-id, --client-secret and --tenant-id`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(file, '--credentials'));
  } catch (error) {
    if (error instanceof CommandFailure) throw error;
    throw new CommandFailure(`${file} is not a JSON credentials file`);
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const field = (name: string) => (typeof record[name] === 'string' && record[name] !== '' ? (record[name] as string) : undefined);
  const [tenantId, clientId, secret] = [field('tenantId'), field('clientId'), field('clientSecret')];
  if (tenantId === undefined || clientId === undefined || secret === undefined) {
    throw new CommandFailure(`${file} lacks tenantId, clientId or clientSecret`);
  }
  return { tenantId, clientId, clientSecret: secret, authorityHost: field('authorityHost') };
}

function urlOf(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${raw} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new UsageError('--url must be an https:// URL');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') throw new UsageError('--url is the instance origin, without a path (e.g. https://localhost:8443)');
  return url;
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CommandFailure(`cannot read ${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
