/**
 * Declares a data-plane route as what it is: an operation of the kernel's catalogue, reached at a path. The
 * handler is always the same three steps (the request's caller context, `kernel.perform`, the answer mapped to
 * the wire), and the route's `config.operation` names the operation for the plugins and for the test that
 * refuses a data-plane route without one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, HTTPMethods, RouteGenericInterface } from 'fastify';
import { OPERATIONS, type OperationName } from '../domain/kernel/catalogue.ts';
import type { Kernel } from '../domain/kernel/kernel.ts';
import type { Operation } from '../domain/kernel/operation.ts';
import { callerContextOf } from '../http/caller-context.ts';
import type { IntDate } from '../lib/intdate.ts';

type Catalogue = typeof OPERATIONS;
type InputOf<N extends OperationName> = Catalogue[N] extends { scope(input: infer I): string } ? I : never;
type OutputOf<N extends OperationName> = Catalogue[N] extends { run(...args: never[]): Promise<infer O> } ? O : never;

export interface OperationRouteSpec<N extends OperationName, G extends RouteGenericInterface> {
  method: HTTPMethods;
  /** One or more paths (a versioned and a versionless form, say) for the same operation. */
  paths: readonly string[];
  operation: N;
  schema?: FastifySchema;
  input(request: FastifyRequest<G>): InputOf<N>;
  answer(output: OutputOf<N>, request: FastifyRequest<G>, reply: FastifyReply): unknown;
}

export interface RouteDeps {
  kernel: Kernel;
  clock: () => IntDate;
}

export function operationRoute<N extends OperationName, G extends RouteGenericInterface = RouteGenericInterface>(
  app: FastifyInstance,
  deps: RouteDeps,
  spec: OperationRouteSpec<N, G>,
): void {
  const operation = OPERATIONS[spec.operation] as unknown as Operation<InputOf<N>, OutputOf<N>, unknown>;
  for (const url of spec.paths) {
    app.route({
      method: spec.method,
      url,
      ...(spec.schema === undefined ? {} : { schema: spec.schema }),
      config: { operation: spec.operation },
      handler: async (request, reply) => {
        // The route's schema has checked the shapes `G` describes.
        const typed = request as unknown as FastifyRequest<G>;
        const output = await deps.kernel.perform(callerContextOf(request, deps.clock), operation, spec.input(typed));
        return spec.answer(output, typed, reply);
      },
    });
  }
}
