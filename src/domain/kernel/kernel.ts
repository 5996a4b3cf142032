/**
 * `perform(context, operation, input)`: the one pipeline every caller goes through (HTTP routes, scheduled
 * jobs, the CLI, a PKCS#11 bridge), so that none can skip a step:
 *
 *   1. authorize   the caller may perform the operation's data action at the scope its input names, and the
 *                  instance is activated (or the operation is one of the security-domain ceremony's)
 *   2. prepare     (writes) work that needs no storage lock, such as key generation
 *   3. run         reads on committed state; writes in one unit of work, run again when it lost a race
 *   4. audit       the event, inside the unit for writes (it commits with the change), after it otherwise;
 *                  refusals and failures are recorded too
 *   5. observe     per-operation metrics
 * Errors leave through `toWireError`, so callers see only StrongroomErrors.
 */
import { isStrongroomError } from '../../errors/strongroom-error.ts';
import { isConcurrentChange } from '../../storage/store-errors.ts';
import type { Store, UnitOfWork } from '../../storage/store.ts';
import type { AuditEvent, AuditSink } from './audit.ts';
import type { Authorizer } from './authorizer.ts';
import type { CallerContext } from './context.ts';
import type { OperationMetrics } from './metrics.ts';
import type { Operation, OperationCall, OperationEnvironment, WriteOperation } from './operation.ts';
import { awaitingActivation, conflictAfterRetries, toWireError } from './wire-errors.ts';

/** How often a unit of work that lost a race is run again before the caller gets 409 Conflict. */
const MAX_ATTEMPTS = 5;

export interface KernelOptions {
  store: Store;
  env: OperationEnvironment;
  authorizer: Authorizer;
  audit: AuditSink;
  metrics: OperationMetrics;
}

export class Kernel {
  readonly #store: Store;
  readonly #env: OperationEnvironment;
  readonly #authorizer: Authorizer;
  readonly #audit: AuditSink;
  readonly #metrics: OperationMetrics;

  constructor(options: KernelOptions) {
    this.#store = options.store;
    this.#env = options.env;
    this.#authorizer = options.authorizer;
    this.#audit = options.audit;
    this.#metrics = options.metrics;
  }

  get env(): OperationEnvironment {
    return this.#env;
  }

  async perform<I, O, P>(context: CallerContext, operation: Operation<I, O, P>, input: I): Promise<O> {
    const started = performance.now();
    const call: OperationCall<I> = { input, context, now: context.clock(), env: this.#env };
    const scope = operation.scope(input);
    try {
      await this.#authorizer.authorize(context, operation.dataAction, scope);
      if (operation.beforeActivation !== true && !this.#env.custody.isActivated) throw awaitingActivation();
      const output = operation.writes
        ? await this.#write(call, operation, scope, started)
        : await operation.run(call, this.#store.reader);
      if (!operation.writes) await this.#audit.record(this.#event(call, operation, scope, output, undefined, started));
      this.#metrics.observe(operation.name, 'success', performance.now() - started);
      return output;
    } catch (thrown) {
      const error = toWireError(thrown);
      this.#metrics.observe(operation.name, 'failure', performance.now() - started);
      await this.#audit.record(this.#event(call, operation, scope, undefined, error, started)).catch(() => undefined);
      throw error;
    }
  }

  async #write<I, O, P>(call: OperationCall<I>, operation: WriteOperation<I, O, P>, scope: string, started: number): Promise<O> {
    const prepared = operation.prepare === undefined ? (undefined as P) : await operation.prepare(call, this.#store.reader);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#store.transaction(async (unit: UnitOfWork) => {
          const output = await operation.run(call, unit, prepared);
          await this.#audit.record(this.#event(call, operation, scope, output, undefined, started), unit);
          return output;
        });
      } catch (error) {
        if (!isConcurrentChange(error)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw conflictAfterRetries();
      }
    }
  }

  #event<I, O>(call: OperationCall<I>, operation: Operation<I, O, unknown>, scope: string, output: O | undefined, error: unknown, started: number): AuditEvent {
    const { context } = call;
    return {
      time: call.now,
      operation: operation.name,
      dataAction: operation.dataAction,
      scope,
      outcome: error === undefined ? 'success' : 'failure',
      errorCode: isStrongroomError(error) ? error.code : error === undefined ? undefined : 'InternalServerError',
      caller: context.caller,
      channel: context.channel,
      requestId: context.requestId,
      clientRequestId: context.clientRequestId,
      sourceAddress: context.sourceAddress,
      durationMs: performance.now() - started,
      fields: operation.audit(call.input, output),
    };
  }
}
