/**
 * Raw HTTPS requests against a running server (tests and the benchmark), for what the SDK hides: status codes, headers, exact bodies.
 */
import https from 'node:https';
import type { TestServer } from './server-process.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export interface RawRequest {
  method?: string;
  path: string;
  host?: string;
  token?: string;
  body?: string | Buffer | object;
  headers?: Record<string, string>;
}

export function request(server: TestServer, req: RawRequest): Promise<RawResponse> {
  const body = req.body === undefined || typeof req.body === 'string' || Buffer.isBuffer(req.body) ? req.body : JSON.stringify(req.body);
  const headers: Record<string, string> = {
    ...(body === undefined || (req.headers !== undefined && 'content-type' in req.headers) ? {} : { 'content-type': 'application/json' }),
    ...(req.token === undefined ? {} : { authorization: `Bearer ${req.token}` }),
    ...req.headers,
  };
  return new Promise((resolve, reject) => {
    const outgoing = https.request(
      `${server.url(req.host)}${req.path}`,
      { method: req.method ?? 'GET', agent: server.agent, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** What a service principal signs in with: the admin-credentials.json members a token request needs. */
export interface ClientSecretCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** An access token from the server's own token endpoint for the first administrator, for the given resource. */
export function accessToken(server: TestServer, resource = 'https://localhost'): Promise<string> {
  return principalToken(server, server.credentials, resource);
}

/** An access token for another principal (as `POST /principals` answered its credentials). */
export async function principalToken(server: TestServer, credentials: ClientSecretCredentials, resource = 'https://localhost'): Promise<string> {
  const { tenantId, clientId, clientSecret } = credentials;
  const response = await request(server, {
    method: 'POST',
    path: `/${tenantId}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: `${resource}/.default` }).toString(),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${response.text}`);
  return response.json.access_token as string;
}

/** A client bound to one server and token: `await api.get('/keys')`. */
export function apiClient(server: TestServer, token: string, apiVersion = '7.6') {
  const withVersion = (path: string) => `${path}${path.includes('?') ? '&' : '?'}api-version=${apiVersion}`;
  const call = (method: string) => (path: string, body?: RawRequest['body'], extra: Partial<RawRequest> = {}) =>
    request(server, { method, path: withVersion(path), token, body, ...extra });
  return { get: call('GET'), post: call('POST'), put: call('PUT'), patch: call('PATCH'), delete: call('DELETE') };
}
