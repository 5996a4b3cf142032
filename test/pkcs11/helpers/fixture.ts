/**
 * What every PKCS#11 test needs: the module built (rebuilt when a source is newer than the library), a real
 * Strongroom started by the harness, keys made over REST, and a module configuration file pointing at it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, startServer, type StartedServer, type StartOptions } from '../../../harness/server-process.ts';

export const moduleDir = join(projectRoot, 'clients', 'pkcs11');
export const libraryPath = join(projectRoot, 'build', 'pkcs11', 'libstrongroom-pkcs11.so');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the module when it is missing or older than any file under clients/pkcs11. */
export function ensureModuleBuilt(): string {
  let built = 0;
  try {
    built = statSync(libraryPath).mtimeMs;
  } catch {
    built = 0;
  }
  if (built < newestSource(moduleDir)) {
    execFileSync('bash', [join(moduleDir, 'build.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return libraryPath;
}

export interface KeySpec {
  name: string;
  kty: 'RSA' | 'EC' | 'oct';
  size?: number;
  crv?: 'P-256' | 'P-384' | 'P-521' | 'P-256K';
}

export interface ModuleConfig {
  refresh_interval_seconds?: number;
  timeout_seconds?: number;
  generate_certs?: boolean;
  key_filter?: string;
  include_older_versions?: boolean;
  url?: string;
  log_file?: string;
}

export interface Fixture {
  server: StartedServer;
  dir: string;
  configPath: string;
  caPath: string;
  credentialsPath: string;
  /** Environment for a child process using the module (the config path, nothing else). */
  env: NodeJS.ProcessEnv;
  token(): Promise<string>;
  rest<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  createKey(spec: KeySpec): Promise<KeyBundle>;
  writeConfig(extra: ModuleConfig, file?: string): string;
  stop(): Promise<void>;
}

export interface KeyBundle {
  key: { kid: string; kty: string; n?: string; e?: string; crv?: string; x?: string; y?: string; key_ops?: string[] };
  attributes: { enabled: boolean; exportable?: boolean };
}

/** The version id of a key identifier (`…/keys/{name}/{version}`). */
export function versionOf(kid: string): string {
  const version = kid.split('/').at(-1);
  if (version === undefined || !/^[0-9a-f]{32}$/.test(version)) throw new Error(`unexpected kid ${kid}`);
  return version;
}

export async function startFixture(options: { keys?: KeySpec[]; config?: ModuleConfig; server?: StartOptions } = {}): Promise<Fixture> {
  ensureModuleBuilt();
  const server = await startServer({ store: 'sqlite', ...options.server });
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-pkcs11-'));
  const caPath = join(dir, 'ca.pem');
  const credentialsPath = join(dir, 'admin-credentials.json');
  writeFileSync(caPath, server.ca);
  writeFileSync(credentialsPath, JSON.stringify(server.credentials), { mode: 0o600 });
  let cached: { token: string; until: number } | undefined;

  const request = <T>(method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; body: T }>((resolve, reject) => {
      const req = https.request(server.url() + path, { method, agent: server.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: (text === '' ? undefined : JSON.parse(text)) as T });
        });
      });
      req.on('error', reject);
      req.end(body);
    });

  const token = async (): Promise<string> => {
    if (cached !== undefined && cached.until > Date.now()) return cached.token;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: server.credentials.clientId,
      client_secret: server.credentials.clientSecret,
      scope: 'https://localhost/.default',
    }).toString();
    const answer = await request<{ access_token: string }>('POST', `/${server.credentials.tenantId}/oauth2/v2.0/token`,
      { 'content-type': 'application/x-www-form-urlencoded' }, form);
    if (answer.status !== 200) throw new Error(`token: ${answer.status}`);
    cached = { token: answer.body.access_token, until: Date.now() + 30 * 60_000 };
    return cached.token;
  };

  const rest = async <T>(method: string, path: string, body?: unknown) => {
    const sep = path.includes('?') ? '&' : '?';
    return request<T>(method, `${path}${sep}api-version=7.5`, {
      authorization: `Bearer ${await token()}`,
      'content-type': 'application/json',
    }, body === undefined ? undefined : JSON.stringify(body));
  };

  const createKey = async (spec: KeySpec): Promise<KeyBundle> => {
    const body = spec.kty === 'RSA' ? { kty: 'RSA', key_size: spec.size ?? 2048 }
      : spec.kty === 'EC' ? { kty: 'EC', crv: spec.crv ?? 'P-256' } : { kty: 'oct', key_size: spec.size ?? 256 };
    const answer = await rest<KeyBundle>('POST', `/keys/${spec.name}/create`, body);
    if (answer.status !== 200) throw new Error(`create ${spec.name}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };

  const writeConfig = (extra: ModuleConfig, file = 'pkcs11.json'): string => {
    const path = join(dir, file);
    writeFileSync(path, JSON.stringify({
      url: server.url(),
      ca_file: caPath,
      credentials_file: credentialsPath,
      refresh_interval_seconds: 300,
      timeout_seconds: 10,
      ...extra,
    }, null, 2));
    return path;
  };

  for (const spec of options.keys ?? []) await createKey(spec);
  const configPath = writeConfig(options.config ?? {});
  return {
    server, dir, configPath, caPath, credentialsPath,
    env: { ...process.env, STRONGROOM_PKCS11_CONFIG: configPath },
    token, rest, createKey, writeConfig,
    stop: async () => {
      await server.stop();
      rmSync(server.dataDir, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
