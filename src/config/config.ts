/**
 * The service's configuration: one typed object, built once at start from defaults, environment variables and
 * command-line options (options win), and validated before anything else happens. Every option is described
 * next to its definition; `--help` is generated from these descriptions.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { UNSEAL_PROVIDER_KINDS, type UnsealProviderKind } from '../custody/unseal/unseal-provider.ts';
import type { LimitsModel } from '../domain/limits/object-limits.ts';
import type { StoreLocation } from '../storage/open-store.ts';

export interface Config {
  dataDir: string;
  /** The store: by default the data directory's SQLite file; a PostgreSQL database for a cluster. */
  store: StoreLocation | undefined;
  /** Who holds the domain key's wrapping key (custody/unseal/). */
  unseal: UnsealProviderKind;
  /** `--unseal file`: the key file, when not `<data-dir>/unseal-key` (containers mount it elsewhere). */
  unsealKeyFile: string | undefined;
  /** `--unseal pkcs11`: the module, token and key; the PIN comes from a file or STRONGROOM_PKCS11_PIN. */
  pkcs11: { modulePath?: string | undefined; tokenLabel?: string | undefined; keyLabel?: string | undefined; pinFile?: string | undefined };
  /** A new instance serves keys only after a security domain download or upload. */
  requireActivation: boolean;
  /** An earlier release's key-encryption-key file, when not in the data directory (migrated, then removed). */
  legacyKekFile: string | undefined;
  /** External OpenID issuers whose tokens are accepted (exact `iss` URLs, https). */
  trustIssuers: string[];
  /** The audience their tokens must carry; by default the resource the challenge names. */
  trustAudience: string | undefined;
  /** Whether every request is recorded in the audit log (off only to measure what it costs). */
  auditLog: boolean;
  /** Attestation authorities whose tokens a secure key release accepts (exact issuer URLs, https). */
  attestationAuthorities: string[];
  /** Object limits: Managed HSM's counts (default) or Cloud HSM's handle model (domain/limits/object-limits.ts). */
  limits: LimitsModel;
  /** Keys per instance and versions per key (Managed HSM: 5,000 and 100). */
  maxKeys: number | undefined;
  maxVersionsPerKey: number | undefined;
  /** `keyvault`: answer Key Vault's published transaction limits with 429 (domain/limits/). Off by default. */
  throttle: 'off' | 'keyvault';
  /** Multiplies every throttle limit. */
  throttleScale: number;
  /** The throttle's window (Key Vault's is 10 seconds). */
  throttleWindowSeconds: number;
  /** Where key events (a version near expiry) are POSTed as CloudEvents; none by default. */
  eventWebhook: string | undefined;
  host: string;
  port: number;
  /** Extra DNS names or IP addresses for the generated server certificate. */
  tlsNames: string[];
  /** PEM files of a certificate (chain) and key to serve instead of the generated ones. */
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  workers: number;
  /** Soft-delete retention, 7 to 90 days. */
  retentionDays: number;
  tokenLifetimeSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Requests one worker process handles at once; past it, 503 with Retry-After before the body is read. */
  maxInFlight: number;
  /** Open connections per worker process; more are closed as they arrive. */
  maxConnections: number;
  /** Time a client has to send a complete request (headers and body). */
  requestTimeoutSeconds: number;
}

interface OptionSpec {
  flag: string;
  env: string;
  /** The value's placeholder in --help; undefined for a switch (`--flag` alone means true). */
  value: string | undefined;
  description: string;
  apply: (config: Config, raw: string) => void;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Requests in flight per worker, by default: RSA-3072/4096 operations queue on the libuv thread pool, so the
 * bound is a queue of 16 per pool thread; on one core that is about half a second of RSA-4096 signatures, the
 * longest any admitted request waits. Cheap operations (ECDSA, AES) reach full throughput far below it.
 */
function defaultMaxInFlight(): number {
  const poolSize = Number(process.env['UV_THREADPOOL_SIZE']);
  return 16 * (Number.isInteger(poolSize) && poolSize > 0 ? poolSize : 4);
}

const OPTIONS: readonly OptionSpec[] = [
  {
    flag: '--data-dir', env: 'STRONGROOM_DATA_DIR', value: 'DIR',
    description: 'Directory for the database, the key-encryption key and TLS files (default ./strongroom-data).',
    apply: (c, raw) => { c.dataDir = resolve(raw); },
  },
  {
    flag: '--store', env: 'STRONGROOM_STORE', value: 'URL',
    description: 'sqlite:PATH (default: <data-dir>/strongroom.db) or postgres://user:password@host:port/db[?sslmode=…] for a cluster (PGHOST, PGUSER… fill the gaps).',
    apply: (c, raw) => { c.store = storeLocationOf(raw); },
  },
  {
    flag: '--unseal', env: 'STRONGROOM_UNSEAL', value: UNSEAL_PROVIDER_KINDS.join('|'),
    description: 'Who holds the key that unwraps the security domain: file (default, <data-dir>/unseal-key), env (STRONGROOM_UNSEAL_KEY) or pkcs11 (a key in an HSM token).',
    apply: (c, raw) => {
      if (!(UNSEAL_PROVIDER_KINDS as readonly string[]).includes(raw)) throw new ConfigError(`--unseal must be one of ${UNSEAL_PROVIDER_KINDS.join(', ')}`);
      c.unseal = raw as UnsealProviderKind;
    },
  },
  {
    flag: '--unseal-key-file', env: 'STRONGROOM_UNSEAL_KEY_FILE', value: 'FILE',
    description: 'With --unseal file: the unseal key file (default <data-dir>/unseal-key); every node of a cluster needs a copy of the same one.',
    apply: (c, raw) => { c.unsealKeyFile = resolve(raw); },
  },
  {
    flag: '--pkcs11-module', env: 'STRONGROOM_PKCS11_MODULE', value: 'PATH',
    description: 'With --unseal pkcs11: the PKCS#11 library of the HSM (e.g. /usr/lib/softhsm/libsofthsm2.so).',
    apply: (c, raw) => { c.pkcs11.modulePath = resolve(raw); },
  },
  {
    flag: '--pkcs11-token-label', env: 'STRONGROOM_PKCS11_TOKEN_LABEL', value: 'LABEL',
    description: 'With --unseal pkcs11: the label of the token that holds the wrapping key.',
    apply: (c, raw) => { c.pkcs11.tokenLabel = raw; },
  },
  {
    flag: '--pkcs11-key-label', env: 'STRONGROOM_PKCS11_KEY_LABEL', value: 'LABEL',
    description: 'With --unseal pkcs11: the label of the AES wrapping key on the token (generated there at the first start if absent).',
    apply: (c, raw) => { c.pkcs11.keyLabel = raw; },
  },
  {
    flag: '--pkcs11-pin-file', env: 'STRONGROOM_PKCS11_PIN_FILE', value: 'FILE',
    description: 'With --unseal pkcs11: a file whose first line is the token user PIN (else STRONGROOM_PKCS11_PIN).',
    apply: (c, raw) => { c.pkcs11.pinFile = resolve(raw); },
  },
  {
    flag: '--require-activation', env: 'STRONGROOM_REQUIRE_ACTIVATION', value: undefined,
    description: 'A new instance answers key requests with 503 until a security domain is downloaded (its own) or uploaded (an existing one).',
    apply: (c, raw) => { c.requireActivation = booleanOf(raw, '--require-activation'); },
  },
  {
    flag: '--trust-issuer', env: 'STRONGROOM_TRUST_ISSUERS', value: 'ISSUER_URL',
    description: 'Accept tokens of this OpenID issuer too (its exact iss URL, https; keys from its discovery document). Repeatable; env: comma-separated.',
    apply: (c, raw) => {
      for (const issuer of raw.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
        if (!/^https:\/\/[^\s]+$/.test(issuer) || !URL.canParse(issuer)) throw new ConfigError(`--trust-issuer ${issuer} is not an https URL`);
        c.trustIssuers.push(issuer);
      }
    },
  },
  {
    flag: '--attestation-authority', env: 'STRONGROOM_ATTESTATION_AUTHORITIES', value: 'ISSUER_URL',
    description: 'Accept attestation tokens of this authority for secure key release (its exact iss URL, https; keys from its OpenID metadata). Repeatable; env: comma-separated.',
    apply: (c, raw) => {
      for (const authority of raw.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
        if (!/^https:\/\/[^\s]+$/.test(authority) || !URL.canParse(authority)) throw new ConfigError(`--attestation-authority ${authority} is not an https URL`);
        c.attestationAuthorities.push(authority);
      }
    },
  },
  {
    flag: '--event-webhook', env: 'STRONGROOM_EVENT_WEBHOOK', value: 'URL',
    description: 'POST key events (a key version near expiry, from a rotation policy\'s Notify action) to this URL as CloudEvents, with retries.',
    apply: (c, raw) => {
      if (!/^https?:\/\/[^\s]+$/.test(raw) || !URL.canParse(raw)) throw new ConfigError(`--event-webhook ${raw} is not an http(s) URL`);
      c.eventWebhook = raw;
    },
  },
  {
    flag: '--limits', env: 'STRONGROOM_LIMITS', value: 'managedhsm|cloudhsm',
    description: "Object limits: managedhsm (5,000 keys, 100 versions per key; default) or cloudhsm (Cloud HSM's 3,200 handles: RSA and EC keys count 2, AES 1).",
    apply: (c, raw) => {
      if (raw !== 'managedhsm' && raw !== 'cloudhsm') throw new ConfigError(`--limits must be managedhsm or cloudhsm, not ${raw}`);
      c.limits = raw;
    },
  },
  {
    flag: '--max-keys', env: 'STRONGROOM_MAX_KEYS', value: 'N',
    description: 'Keys per instance, deleted ones included (default 5,000, Managed HSM\'s).',
    apply: (c, raw) => { c.maxKeys = integerIn(raw, 1, 100_000_000, '--max-keys'); },
  },
  {
    flag: '--max-versions-per-key', env: 'STRONGROOM_MAX_VERSIONS_PER_KEY', value: 'N',
    description: 'Versions per key (default 100, Managed HSM\'s).',
    apply: (c, raw) => { c.maxVersionsPerKey = integerIn(raw, 1, 1_000_000, '--max-versions-per-key'); },
  },
  {
    flag: '--throttle', env: 'STRONGROOM_THROTTLE', value: 'off|keyvault',
    description: "keyvault: enforce Key Vault's published transaction limits per 10-second window (429 Throttled + Retry-After). Default off.",
    apply: (c, raw) => {
      if (raw !== 'off' && raw !== 'keyvault') throw new ConfigError(`--throttle must be off or keyvault, not ${raw}`);
      c.throttle = raw;
    },
  },
  {
    flag: '--throttle-scale', env: 'STRONGROOM_THROTTLE_SCALE', value: 'F',
    description: 'Multiply every throttle limit by F (> 0; default 1).',
    apply: (c, raw) => {
      const scale = Number(raw);
      if (!(Number.isFinite(scale) && scale > 0)) throw new ConfigError(`--throttle-scale must be a number above 0, not ${raw}`);
      c.throttleScale = scale;
    },
  },
  {
    flag: '--throttle-window-seconds', env: 'STRONGROOM_THROTTLE_WINDOW_SECONDS', value: 'S',
    description: 'The throttle window in seconds (1–3600; default 10, as Key Vault).',
    apply: (c, raw) => { c.throttleWindowSeconds = integerIn(raw, 1, 3600, '--throttle-window-seconds'); },
  },
  {
    flag: '--trust-audience', env: 'STRONGROOM_TRUST_AUDIENCE', value: 'AUDIENCE',
    description: "The audience (aud) trusted issuers' tokens must carry (default: the resource the challenge names, https://<host>).",
    apply: (c, raw) => { c.trustAudience = raw; },
  },
  {
    flag: '--audit-log', env: 'STRONGROOM_AUDIT_LOG', value: 'on|off',
    description: 'Record every request in the tamper-evident audit log (default on; off only to measure its cost, npm run bench does).',
    apply: (c, raw) => {
      if (raw !== 'on' && raw !== 'off') throw new ConfigError('--audit-log is on or off');
      c.auditLog = raw === 'on';
    },
  },
  {
    flag: '--kek-file', env: 'STRONGROOM_KEK_FILE', value: 'FILE',
    description: 'An earlier release\'s key-encryption-key file, when not <data-dir>/key-encryption-key: read once to migrate it into the security domain, then removed.',
    apply: (c, raw) => { c.legacyKekFile = resolve(raw); },
  },
  {
    flag: '--host', env: 'STRONGROOM_HOST', value: 'ADDRESS',
    description: 'Address to listen on (default 127.0.0.1).',
    apply: (c, raw) => { c.host = raw; },
  },
  {
    flag: '--port', env: 'STRONGROOM_PORT', value: 'PORT',
    description: 'HTTPS port (default 8443; 0 picks a free port).',
    apply: (c, raw) => { c.port = integerIn(raw, 0, 65535, '--port'); },
  },
  {
    flag: '--tls-name', env: 'STRONGROOM_TLS_NAMES', value: 'NAME[,NAME...]',
    description: 'Extra DNS names or IPs for the generated certificate (repeatable; env: comma-separated).',
    apply: (c, raw) => { c.tlsNames.push(...raw.split(',').map((n) => n.trim()).filter((n) => n !== '')); },
  },
  {
    flag: '--tls-cert', env: 'STRONGROOM_TLS_CERT', value: 'FILE',
    description: 'PEM certificate chain to serve instead of the generated one (needs --tls-key).',
    apply: (c, raw) => { c.tlsCertFile = resolve(raw); },
  },
  {
    flag: '--tls-key', env: 'STRONGROOM_TLS_KEY', value: 'FILE',
    description: 'PEM private key of --tls-cert.',
    apply: (c, raw) => { c.tlsKeyFile = resolve(raw); },
  },
  {
    flag: '--workers', env: 'STRONGROOM_WORKERS', value: 'N',
    description: 'Worker processes serving requests (default: one per CPU core).',
    apply: (c, raw) => { c.workers = integerIn(raw, 1, 256, '--workers'); },
  },
  {
    flag: '--retention-days', env: 'STRONGROOM_RETENTION_DAYS', value: 'DAYS',
    description: 'How long deleted keys stay recoverable before they are purged, 7 to 90 (default 90).',
    apply: (c, raw) => { c.retentionDays = integerIn(raw, 7, 90, '--retention-days'); },
  },
  {
    flag: '--token-lifetime', env: 'STRONGROOM_TOKEN_LIFETIME', value: 'SECONDS',
    description: 'Lifetime of issued access tokens, 60 to 86400 seconds (default 3600).',
    apply: (c, raw) => { c.tokenLifetimeSeconds = integerIn(raw, 60, 86_400, '--token-lifetime'); },
  },
  {
    flag: '--log-level', env: 'STRONGROOM_LOG_LEVEL', value: 'LEVEL',
    description: `Log level: ${LOG_LEVELS.join(', ')} (default info).`,
    apply: (c, raw) => {
      if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
      c.logLevel = raw as Config['logLevel'];
    },
  },
  {
    flag: '--max-in-flight', env: 'STRONGROOM_MAX_IN_FLIGHT', value: 'N',
    description: 'Requests each worker handles at once; more are answered 503 with Retry-After at once (default 16 per libuv pool thread: 64).',
    apply: (c, raw) => { c.maxInFlight = integerIn(raw, 1, 100_000, '--max-in-flight'); },
  },
  {
    flag: '--max-connections', env: 'STRONGROOM_MAX_CONNECTIONS', value: 'N',
    description: 'Open connections per worker; connections past it are closed as they arrive (default 512, about 55 MB of TLS and HTTP state).',
    apply: (c, raw) => { c.maxConnections = integerIn(raw, 1, 1_000_000, '--max-connections'); },
  },
  {
    flag: '--request-timeout', env: 'STRONGROOM_REQUEST_TIMEOUT', value: 'SECONDS',
    description: 'Time a client has to send a complete request, headers and body, 1 to 600 seconds (default 30); then 408.',
    apply: (c, raw) => { c.requestTimeoutSeconds = integerIn(raw, 1, 600, '--request-timeout'); },
  },
];

/** `sqlite:PATH`, `postgres://…` or `postgresql://…`. */
function storeLocationOf(raw: string): StoreLocation {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length);
    if (path === '') throw new ConfigError('--store sqlite: needs a path, e.g. sqlite:/var/lib/strongroom/strongroom.db');
    return { backend: 'sqlite', path: resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) return { backend: 'postgres', url: raw };
  throw new ConfigError('--store must be sqlite:PATH or postgres://user:password@host:port/database');
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function defaultConfig(): Config {
  return {
    dataDir: resolve('strongroom-data'),
    store: undefined,
    unseal: 'file',
    unsealKeyFile: undefined,
    pkcs11: {},
    requireActivation: false,
    legacyKekFile: undefined,
    trustIssuers: [],
    trustAudience: undefined,
    auditLog: true,
    attestationAuthorities: [],
    eventWebhook: undefined,
    limits: 'managedhsm',
    maxKeys: undefined,
    maxVersionsPerKey: undefined,
    throttle: 'off',
    throttleScale: 1,
    throttleWindowSeconds: 10,
    host: '127.0.0.1',
    port: 8443,
    tlsNames: [],
    workers: Math.max(1, availableParallelism()),
    retentionDays: 90,
    tokenLifetimeSeconds: 3600,
    logLevel: 'info',
    maxInFlight: defaultMaxInFlight(),
    // Each open TLS connection holds about 110 KB (measured by the overload row of npm run bench).
    maxConnections: 512,
    requestTimeoutSeconds: 30,
  };
}

/** Builds the configuration from the environment, then the command-line arguments (which win). */
export function loadConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const config = defaultConfig();
  for (const option of OPTIONS) {
    const raw = env[option.env];
    if (raw !== undefined && raw !== '') option.apply(config, raw);
  }
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const option = OPTIONS.find((candidate) => candidate.flag === flag);
    if (option === undefined) throw new ConfigError(`Unknown option ${arg}; see --help`);
    const raw = option.value === undefined ? (inline ?? 'true') : (inline ?? args[++index]);
    if (raw === undefined) throw new ConfigError(`${flag} needs a value (${option.value})`);
    option.apply(config, raw);
  }
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together');
  }
  return config;
}

export function helpText(): string {
  const rows = OPTIONS.map((o) => `  ${`${o.flag} ${o.value ?? ''}`.padEnd(32)} ${o.description}\n  ${''.padEnd(32)} env: ${o.env}`);
  return [
    'Usage: strongroom serve [options]',
    '',
    'Starts Strongroom, a key management service speaking the Azure Key Vault / Managed HSM REST API, over HTTPS.',
    'On first start it creates the data directory with its database, a security domain (its key wrapped by the',
    'unseal provider: by default the key file <data-dir>/unseal-key), a local certificate authority',
    '(<data-dir>/tls/ca.pem) and an administrator service principal (<data-dir>/admin-credentials.json).',
    '',
    'Options:',
    ...rows,
    `  ${'--help'.padEnd(32)} Show this text.`,
    '',
  ].join('\n');
}

function booleanOf(raw: string, name: string): boolean {
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} is true or false`);
}

function integerIn(raw: string, min: number, max: number, name: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}
