/**
 * RFC 9112 §3.2: a request must name exactly one host. A server must answer 400 to an HTTP/1.1 request
 * without a Host header, or with more than one; and a request whose target is in absolute form
 * (`GET https://a.example/keys`) names its host twice, so the two must agree. Everything downstream (the
 * token audience, the challenge, the key ids in answers) is derived from the Host, so an ambiguous one is
 * refused before authentication: 400 BadParameter.
 *
 * Node keeps only the first of several Host headers in `request.headers`; `rawHeaders` has them all. Node's own
 * check for a missing Host (an empty 400 outside the envelope) is turned off in app.ts in favour of this one.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badParameter } from '../../errors/errors.ts';

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

export function installHostCheck(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    done(hostProblem(request));
  });
}

function hostProblem(request: FastifyRequest): Error | undefined {
  const raw = request.raw;
  let hosts = 0;
  for (let index = 0; index < raw.rawHeaders.length; index += 2) {
    const name = raw.rawHeaders[index];
    if (name?.length === 4 && name.toLowerCase() === 'host') hosts += 1;
  }
  if (hosts > 1) return badParameter('The request has more than one Host header.');
  if (hosts === 0 && raw.httpVersion === '1.1') return badParameter('The request has no Host header.');
  const url = raw.url ?? '';
  if (url.startsWith('/')) return undefined;
  const authority = ABSOLUTE_FORM.exec(url)?.[1];
  if (authority !== undefined && authority.toLowerCase() !== String(raw.headers.host ?? '').toLowerCase()) {
    return badParameter('The request target names another host than the Host header.');
  }
  return undefined;
}
