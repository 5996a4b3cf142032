/**
 * Paged listings: `maxresults` (1–25, default 25) and an opaque `$skiptoken`, answered with
 * `{ value, nextLink }` where nextLink is an absolute https URL on the same origin (the SDKs refuse any other).
 */
import type { FastifyRequest } from 'fastify';
import { badParameter } from '../errors/errors.ts';
import type { Page, PageRequest } from '../storage/store.ts';
import { originOf } from '../http/host.ts';

const MAX_RESULTS = 25;
/** What a listing's positions are: lower-cased names (keys by name) or sequence numbers (versions, oldest first). */
export type PositionKind = 'name' | 'sequence';
const POSITION: Readonly<Record<PositionKind, RegExp>> = { name: /^[0-9a-z-]{1,127}$/, sequence: /^[1-9][0-9]{0,15}$/ };

/** Parsed once per request: the route reads them for the operation's input, the answer for its nextLink. */
const parsed = new WeakMap<FastifyRequest, PageRequest>();

/** The paging parameters of a listing request whose positions are of `kind`. */
export function pageRequestOf(request: FastifyRequest, kind: PositionKind = 'name'): PageRequest {
  let paging = parsed.get(request);
  if (paging === undefined) {
    const query = request.query as Record<string, unknown>;
    paging = { limit: maxResultsOf(query['maxresults']), after: positionOf(query['$skiptoken'], kind) };
    parsed.set(request, paging);
  }
  return paging;
}

/** One page on the wire, with the link to the next. */
export function pageAnswer<T, W>(request: FastifyRequest, page: Page<T>, toWire: (item: T) => W) {
  const { limit } = pageRequestOf(request);
  return { value: page.items.map(toWire), nextLink: page.next === undefined ? null : nextLink(request, page.next, limit) };
}

function nextLink(request: FastifyRequest, position: string, limit: number): string {
  const query = request.query as Record<string, unknown>;
  const path = request.url.split('?')[0] ?? '/';
  const params = new URLSearchParams({
    'api-version': String(query['api-version']),
    $skiptoken: Buffer.from(position).toString('base64url'),
    maxresults: String(limit),
  });
  return `${originOf(request.host)}${path}?${params.toString()}`;
}

function maxResultsOf(raw: unknown): number {
  if (raw === undefined || raw === '') return MAX_RESULTS;
  const value = typeof raw === 'string' && /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 1 && value <= MAX_RESULTS)) throw badParameter(`maxresults must be a whole number from 1 to ${MAX_RESULTS}.`);
  return value;
}

function positionOf(raw: unknown, kind: PositionKind): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const position = typeof raw === 'string' && /^[A-Za-z0-9_-]{1,200}$/.test(raw) ? Buffer.from(raw, 'base64url').toString('latin1') : '';
  if (!POSITION[kind].test(position)) throw badParameter('The $skiptoken is invalid; use the nextLink of the previous page as it is.');
  return position;
}
