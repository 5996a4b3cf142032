/** PLACEHOLDER (coordinator): POST /keys/{name}[/{version}]/release; the key-release helper replaces this file. */
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../operation-route.ts';

export function registerReleaseRoutes(_app: FastifyInstance, _deps: RouteDeps): void {}
