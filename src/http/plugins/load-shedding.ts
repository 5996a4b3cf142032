/**
 * Load shedding: a bound on the requests one worker process handles at once.
 *
 * Without it every request that arrives is queued (RSA-3072/4096 operations on the libuv thread pool, the rest
 * on the event loop), so an overload makes every answer slow and memory grow: the attack run of issue 7 saw a
 * p50 of 9 s and 170 MB more resident memory, not returned. With it, a request that arrives while `maxInFlight`
 * are being handled is answered 503 ServiceUnavailable with `Retry-After` at once, before its body is read, so
 * the ones admitted keep a bounded wait and the service's memory stays bounded. The SDKs retry 503 after
 * Retry-After by themselves.
 *
 * The check on the hot path is one compare. A request counts from its first hook until its answer is computed
 * (`onSend`): a client that hangs up does not end the work it started, so its slot is held until the handler is
 * done. As a safety net against a handler that never answers, a slot whose connection closed is freed after
 * `abandonedAfterMs` at the latest.
 *
 * Identity endpoints answer in the OAuth error form (`temporarily_unavailable`), as their own errors do.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../domain/identity/client-credentials-grant.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import { sendError } from './error-handler.ts';

export interface LoadSheddingOptions {
  maxInFlight: number;
  /** When a slot whose client went away is freed even if its handler has not answered yet. */
  abandonedAfterMs: number;
}

const RETRY_AFTER_SECONDS = 1;
/** Entra's "too many incoming requests" code, as the token endpoint's own throttle uses. */
const BUSY_AAD_CODE = 90055;

/** One admitted request's slot; freed once, by whichever comes first of its answer or the safety net. */
class Slot {
  private readonly gauge: InFlight;
  private freed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(gauge: InFlight) {
    this.gauge = gauge;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    clearTimeout(this.timer);
    this.gauge.count -= 1;
  }

  /** The connection closed: the answer may never come, so free the slot later if it does not. */
  freeLater(afterMs: number): void {
    if (this.freed || this.timer !== undefined) return;
    this.timer = setTimeout(() => this.free(), afterMs);
    this.timer.unref();
  }
}

interface InFlight {
  count: number;
}

export function installLoadShedding(app: FastifyInstance, options: LoadSheddingOptions): void {
  const gauge: InFlight = { count: 0 };
  const slots = new WeakMap<FastifyRequest, Slot>();
  app.addHook('onRequest', (request, reply, done) => {
    // A health probe must tell the load balancer the truth under overload too: it costs nothing to answer.
    if (request.routeOptions.config.health === true) return done();
    if (gauge.count >= options.maxInFlight) return shed(request, reply, done);
    gauge.count += 1;
    const slot = new Slot(gauge);
    slots.set(request, slot);
    reply.raw.once('close', () => slot.freeLater(options.abandonedAfterMs));
    done();
  });
  app.addHook('onSend', (request, _reply, payload, done) => {
    slots.get(request)?.free();
    done(null, payload);
  });
}

/** Answers at once; the request's hooks, body and handler never run. */
function shed(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
  if (request.routeOptions.config.identity === true) {
    // The identity scope's error handler renders it in the OAuth form, with Retry-After.
    return done(new OAuthError(503, 'temporarily_unavailable', BUSY_AAD_CODE,
      'The server is too busy to take this request. Retry after the time in Retry-After.', RETRY_AFTER_SECONDS));
  }
  sendError(reply, new StrongroomError('ServiceUnavailable', 'The service is busy; retry the request after the time in Retry-After.', {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  }));
}
