/** PLACEHOLDER (coordinator): /keys/{name}/rotate and /rotationpolicy; the rotation helper replaces this file. */
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../operation-route.ts';

export function registerRotationRoutes(_app: FastifyInstance, _deps: RouteDeps): void {}
