/**
 * What the principal and role commands share: list answers `{value, nextLink}` read to the end (a nextLink is
 * followed on the instance's own origin only, as every request of the client is), the compact tables of their
 * human output, the Managed HSM scopes (`/`, `/keys`, `/keys/{name}`) and GUID names.
 */
import { UsageError } from '../command.ts';
import type { ServiceClient } from '../service-client.ts';

export const PROVIDER = 'providers/Microsoft.Authorization';
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Key names as Key Vault allows them. */
const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;
/** A listing that never ends (a nextLink pointing at itself) stops here. */
const MAX_PAGES = 1000;

export type Json = Record<string, unknown>;

/** Every item of a list answer, following nextLink. */
export async function listAll(client: ServiceClient, path: string): Promise<Json[]> {
  const items: Json[] = [];
  let next: string | null | undefined = path;
  for (let page = 0; next !== undefined && next !== null && next !== '' && page < MAX_PAGES; page++) {
    const response = await client.request('GET', next);
    const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as { value?: unknown; nextLink?: unknown };
    if (Array.isArray(body.value)) items.push(...body.value.filter((item): item is Json => typeof item === 'object' && item !== null));
    next = typeof body.nextLink === 'string' ? body.nextLink : undefined;
  }
  return items;
}

/** A member of a service object, as text ('' when absent). */
export function text(object: unknown, ...path: string[]): string {
  let value: unknown = object;
  for (const key of path) value = typeof value === 'object' && value !== null ? (value as Json)[key] : undefined;
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** A compact table: a header row and one row per item, columns padded to their widest cell. */
export function table(headers: string[], rows: string[][], empty: string): string[] {
  if (rows.length === 0) return [empty];
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

/**
 * `--scope`: `/`, `/keys` or `/keys/{name}` (repeated or trailing slashes forgiven, as the service forgives the
 * SDK's `///providers`); the path prefix of the scope's RBAC routes, which is '' for `/`.
 */
export function scopeOf(raw: string | undefined, flag = '--scope'): { scope: string; prefix: string } {
  if (raw === undefined) return { scope: '/', prefix: '' };
  const segments = raw.split('/').filter((segment) => segment !== '');
  if (segments.length === 0) return { scope: '/', prefix: '' };
  const [first, key, ...rest] = segments;
  if (first !== 'keys' || rest.length > 0 || (key !== undefined && !KEY_NAME.test(key))) {
    throw new UsageError(`${flag} must be /, /keys or /keys/{key name}; '${raw}' is none of them`);
  }
  const scope = key === undefined ? '/keys' : `/keys/${key}`;
  return { scope, prefix: scope };
}

export function guidOf(raw: string, flag: string): string {
  if (!GUID.test(raw)) throw new UsageError(`${flag} must be a GUID (like 0f8fad5b-d9cb-469f-a165-70867728950e); '${raw}' is not one`);
  return raw.toLowerCase();
}

/** Unix seconds as an ISO time, for the tables. */
export function timeOf(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z') : '';
}
