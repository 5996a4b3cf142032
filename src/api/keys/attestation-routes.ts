/** PLACEHOLDER (coordinator): GET /keys/{name}[/{version}]/attestation; the key-attestation helper replaces this file. */
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../operation-route.ts';

export function registerAttestationRoutes(_app: FastifyInstance, _deps: RouteDeps): void {}
