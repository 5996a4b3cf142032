/**
 * Which methods a path is served with, so that a request for an existing path with another method is answered
 * 405 MethodNotAllowed with an `Allow` header (RFC 9110 §15.5.6) instead of 404.
 *
 * Fastify's router only says "no route for this method and path"; this table, filled from `onRoute`, answers
 * the finer question, with the router's own rules (segments compared without case, empty segments from `//`
 * or a trailing `/` ignored, `:param` matching any segment). Key Vault paths end either in a resource (a
 * parameter: key name, version) or in an operation (a literal: `create`, `sign`, `recover`), and that decides
 * what an unknown last segment means:
 *   - the path matches a route of another method that ends in a literal (`GET /keys/k/sign`, `DELETE /keys`):
 *     405, the path exists;
 *   - the path matches, through its one parameter, a resource itself (`GET /keys/{name}` for `POST /keys/k`):
 *     405, even though the method has an operation beside it (`POST /keys/restore`);
 *   - otherwise, if the request's own method has operations at this place (`POST /keys/k/create`), the last
 *     segment names an operation that does not exist (`POST /keys/k/levitate`): 404, even though it could be
 *     read as a version for GET;
 *   - otherwise a match through a parameter (`POST /keys/k`) is a resource reached with the wrong method: 405.
 * `Allow` lists every method that would be routed for the path. Only 404 answers consult the table.
 */
import type { FastifyInstance } from 'fastify';

interface RoutePattern {
  method: string;
  segments: readonly string[];
}

const segmentsOf = (path: string): string[] => path.split('?')[0]?.split('/').filter((segment) => segment !== '') ?? [];
const isParameter = (segment: string): boolean => segment.startsWith(':') || segment === '*';

export class RouteMethods {
  private readonly routes: RoutePattern[] = [];

  add(method: string, url: string): void {
    this.routes.push({ method: method.toUpperCase(), segments: segmentsOf(url).map((segment) => (isParameter(segment) ? ':' : segment.toLowerCase())) });
  }

  /** The methods to list in `Allow` for a 405, or undefined when the answer is 404. */
  allowedMethods(method: string, path: string): string[] | undefined {
    const requested = segmentsOf(path).map((segment) => segment.toLowerCase());
    const matching = this.routes.filter((route) => matches(route.segments, requested));
    if (matching.length === 0) return undefined;
    const endsInLiteral = (route: RoutePattern) => route.segments.at(-1) !== ':';
    // A path whose only parameter is its last segment names a resource itself (`/keys/{name}`): another method
    // there is 405 even where the method has operations beside it (`POST /keys/restore`).
    const namesResource = (route: RoutePattern) => route.segments.filter((segment) => segment === ':').length === 1 && !endsInLiteral(route);
    if (!matching.some(endsInLiteral) && !matching.some(namesResource) && this.hasOperationsAt(method.toUpperCase(), requested)) return undefined;
    return [...new Set(matching.map((route) => route.method))].sort();
  }

  /** Whether `method` has routes that differ from `requested` only in a literal last segment. */
  private hasOperationsAt(method: string, requested: readonly string[]): boolean {
    return this.routes.some((route) =>
      route.method === method &&
      route.segments.length === requested.length &&
      route.segments.at(-1) !== ':' &&
      matches(route.segments.slice(0, -1), requested.slice(0, -1)));
  }
}

function matches(pattern: readonly string[], requested: readonly string[]): boolean {
  return pattern.length === requested.length && pattern.every((segment, index) => segment === ':' || segment === requested[index]);
}

/** Fills a table from every route registered after this call. */
export function trackRouteMethods(app: FastifyInstance): RouteMethods {
  const table = new RouteMethods();
  app.addHook('onRoute', (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) table.add(String(method), route.url);
  });
  return table;
}
