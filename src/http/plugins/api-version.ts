/**
 * Every data-plane request names an `api-version`. Strongroom accepts every version the current Azure SDKs
 * send and behaves as the newest stable one; a missing or unknown version is refused, as the service does.
 * The SDKs percent-encode the parameter name (`api%2Dversion`); Fastify's query parser decodes names.
 * The refusal names the version as the service does, but only when it looks like one: answers never echo
 * arbitrary input.
 */
import type { FastifyInstance } from 'fastify';
import { badParameter } from '../../errors/errors.ts';

export const SUPPORTED_API_VERSIONS: ReadonlySet<string> = new Set([
  '2016-10-01',
  '7.0', '7.1', '7.2', '7.3-preview', '7.3', '7.4-preview.1', '7.4', '7.5-preview.1', '7.5',
  '7.6-preview.1', '7.6-preview.2', '7.6',
  '2025-06-01-preview', '2025-07-01',
  '2026-01-01-preview', '2026-03-01-preview', '2026-04-01', '2026-05-01-preview', '2026-07-01-preview',
]);
export const LATEST_STABLE_API_VERSION = '2026-04-01';

export function installApiVersionCheck(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const { config } = request.routeOptions;
    if (config.identity === true || config.health === true) return done();
    const query = request.query as Record<string, unknown>;
    const version = query['api-version'];
    if (version === undefined || version === '') {
      return done(badParameter('The api-version query parameter (?api-version=) is required for all requests.'));
    }
    if (typeof version !== 'string' || !SUPPORTED_API_VERSIONS.has(version)) {
      const shown = typeof version === 'string' && /^[0-9A-Za-z.-]{1,40}$/.test(version) ? version : '(not shown)';
      return done(
        badParameter(`The specified version (${shown}) is not recognized. Consider using the latest supported version (${LATEST_STABLE_API_VERSION}).`),
      );
    }
    done();
  });
}
