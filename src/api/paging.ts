/**
 * Paged listings: `maxresults` (1–25, default 25) and an opaque `$skiptoken`, answered with
 * `{ value, nextLink }` where nextLink is an absolute https URL on the same origin (the SDKs refuse any other).
 */
import type { FastifyRequest } from 'fastify';
import { badParameter } from '../errors/errors.ts';
import type { Page, PageRequest } from '../storage/store.ts';
import { originOf } from '../http/host.ts';

const MAX_RESULTS = 25;
/** Positions are lower-cased key names or version sequence numbers. */
const POSITION = /^[0-9a-z-]{1,127}$/;

/** Answers a paged listing: reads the paging parameters, fetches one page, and links to the next. */
export async function pagedAnswer<T, W>(
  request: FastifyRequest,
  fetchPage: (paging: PageRequest) => Promise<Page<T>>,
  toWire: (item: T) => W,
) {
  const paging = pageRequestOf(request);
  const page = await fetchPage(paging);
  return { value: page.items.map(toWire), nextLink: page.next === undefined ? null : nextLink(request, page.next, paging.limit) };
}

function pageRequestOf(request: FastifyRequest): PageRequest {
  const query = request.query as Record<string, unknown>;
  return { limit: maxResultsOf(query['maxresults']), after: positionOf(query['$skiptoken']) };
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

function positionOf(raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const position = typeof raw === 'string' && /^[A-Za-z0-9_-]{1,200}$/.test(raw) ? Buffer.from(raw, 'base64url').toString('latin1') : '';
  if (!POSITION.test(position)) throw badParameter('The $skiptoken is invalid; use the nextLink of the previous page as it is.');
  return position;
}
