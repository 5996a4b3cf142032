/**
 * The CLI's REST client for a running Strongroom (or Managed HSM): HTTPS trusting the instance CA, JSON in and
 * out, the api-version query, and the sign-in of an Azure client: a client-credentials token for
 * `{resource}/.default` from `{authorityHost}/{tenantId}/oauth2/v2.0/token`, cached until shortly before it
 * expires. The resource is derived from the host as the service derives it (http/host.ts); should a 401
 * challenge name another resource of the same domain, the client takes that one and retries once. The client
 * secret only ever goes to the configured authority, and tokens only to the service's own origin.
 *
 * Errors come back as ServiceError with the service's code and message (the Key Vault envelope, or OAuth's).
 */
import https from 'node:https';
import { resourceFor } from '../http/host.ts';
import { LATEST_STABLE_API_VERSION } from '../http/plugins/api-version.ts';

export interface ClientCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
}

export interface ServiceClientOptions {
  url: URL;
  credentials: ClientCredentials;
  /** PEM of the CA to trust (the instance's `tls/ca.pem`); the system's roots when absent. */
  ca?: string | undefined;
  apiVersion?: string;
}

export interface ServiceResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** An answer of the service that is an error: HTTP status, the wire code and message. */
export class ServiceError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ServiceError';
    this.status = status;
    this.code = code;
  }
}

/** A token is renewed this long before it expires. */
const TOKEN_MARGIN_SECONDS = 120;
const TIMEOUT_MS = 60_000;

export class ServiceClient {
  readonly origin: string;
  readonly #options: ServiceClientOptions;
  readonly #agent: https.Agent;
  readonly #tokens = new Map<string, { token: string; renewAt: number }>();
  #resource: string;

  constructor(options: ServiceClientOptions) {
    this.#options = options;
    this.origin = options.url.origin;
    this.#resource = resourceFor(options.url.host);
    this.#agent = new https.Agent({ keepAlive: true, ...(options.ca === undefined ? {} : { ca: options.ca }) });
  }

  /** A request to the service: `path` relative to its origin, or an absolute URL of the same origin (a poll). */
  async request(method: string, path: string, body?: unknown): Promise<ServiceResponse> {
    const url = this.#serviceUrl(path);
    const send = async () => this.#send(method, url, body === undefined ? undefined : JSON.stringify(body), await this.#authorization());
    let response = await send();
    const resource = response.status === 401 ? this.#challengeResource(response.headers['www-authenticate']) : undefined;
    if (resource !== undefined && resource !== this.#resource) {
      this.#resource = resource;
      response = await send();
    }
    if (response.status >= 400) throw serviceErrorOf(response);
    return response;
  }

  close(): void {
    this.#agent.destroy();
  }

  #serviceUrl(path: string): URL {
    const url = new URL(path, this.origin);
    if (url.origin !== this.origin) throw new ServiceError(0, 'UnexpectedRedirect', `the service pointed to ${url.origin}, not ${this.origin}; not following it`);
    if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', this.#options.apiVersion ?? LATEST_STABLE_API_VERSION);
    return url;
  }

  async #authorization(): Promise<string> {
    const cached = this.#tokens.get(this.#resource);
    if (cached !== undefined && Date.now() < cached.renewAt) return `Bearer ${cached.token}`;
    const token = await this.#requestToken(this.#resource);
    return `Bearer ${token}`;
  }

  async #requestToken(resource: string): Promise<string> {
    const { tenantId, clientId, clientSecret, authorityHost } = this.#options.credentials;
    const url = new URL(`${authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`);
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: `${resource}/.default` });
    const response = await this.#send('POST', url, form.toString(), undefined, 'application/x-www-form-urlencoded');
    if (response.status >= 400) throw serviceErrorOf(response);
    const answer = response.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof answer?.access_token !== 'string') throw new ServiceError(response.status, 'InvalidTokenResponse', 'the token endpoint answered without an access_token');
    const lifetime = typeof answer.expires_in === 'number' ? answer.expires_in : 300;
    const margin = Math.min(TOKEN_MARGIN_SECONDS, lifetime / 2);
    this.#tokens.set(resource, { token: answer.access_token, renewAt: Date.now() + (lifetime - margin) * 1000 });
    return answer.access_token;
  }

  /** The `resource` of a Bearer challenge, when it names this service's domain (as the Azure SDKs check). */
  #challengeResource(header: string | string[] | undefined): string | undefined {
    const value = Array.isArray(header) ? header.join(', ') : header;
    const resource = /resource="([^"]+)"/.exec(value ?? '')?.[1];
    if (resource === undefined) return undefined;
    let hostname: string;
    try {
      hostname = new URL(resource).hostname;
    } catch {
      return undefined;
    }
    const own = this.#options.url.hostname;
    return own === hostname || own.endsWith(`.${hostname}`) ? resource.replace(/\/+$/, '') : undefined;
  }

  #send(method: string, url: URL, body: string | undefined, authorization: string | undefined, contentType = 'application/json'): Promise<ServiceResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = contentType;
    if (authorization !== undefined) headers['authorization'] = authorization;
    return new Promise((resolve, reject) => {
      const outgoing = https.request(url, { method, headers, agent: this.#agent, timeout: TIMEOUT_MS }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: parseJsonOrText(text) });
        });
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
      outgoing.on('error', (error: NodeJS.ErrnoException) => reject(new ServiceError(0, error.code ?? 'ConnectionFailed', `cannot reach ${url.origin}: ${error.message}`)));
      outgoing.end(body);
    });
  }
}

function parseJsonOrText(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The Key Vault envelope `{error:{code,message}}`, OAuth's `{error, error_description}`, or the bare status. */
function serviceErrorOf(response: ServiceResponse): ServiceError {
  const raw = response.body;
  const body = typeof raw === 'object' && raw !== null ? (raw as { error?: unknown; error_description?: unknown }) : undefined;
  const error = body?.error;
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return new ServiceError(response.status, String(code ?? 'Error'), String(message ?? `HTTP ${response.status}`));
  }
  if (typeof error === 'string') return new ServiceError(response.status, error, String(body?.error_description ?? `HTTP ${response.status}`));
  return new ServiceError(response.status, `HTTP${response.status}`, `the service answered ${response.status}${typeof raw === 'string' ? `: ${raw.slice(0, 200)}` : ''}`);
}
