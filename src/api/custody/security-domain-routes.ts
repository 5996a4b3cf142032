/**
 * The security-domain endpoints of Managed HSM (reference §5.5). Both long operations finish within their
 * request; they still answer 202 with `Azure-AsyncOperation` naming the status endpoint, which then reports
 * `Success`, so pollers written for Azure (the az CLI, core-lro) work unchanged.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { originOf } from '../../http/host.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';

const POLL_AFTER_SECONDS = '1';

function accepted(request: FastifyRequest, reply: FastifyReply, statusPath: string): void {
  reply.code(202).header('azure-asyncoperation', `${originOf(request.host)}${statusPath}`).header('retry-after', POLL_AFTER_SECONDS);
}

export function registerSecurityDomainRoutes(app: FastifyInstance, deps: RouteDeps): void {
  operationRoute<'downloadSecurityDomain', { Body: unknown }>(app, deps, {
    method: 'POST', paths: ['/securitydomain/download'], operation: 'downloadSecurityDomain',
    input: (request) => ({ body: request.body }),
    answer: (output, request, reply) => {
      accepted(request, reply, '/securitydomain/download/pending');
      return output;
    },
  });

  operationRoute<'getSecurityDomainDownloadStatus'>(app, deps, {
    method: 'GET', paths: ['/securitydomain/download/pending'], operation: 'getSecurityDomainDownloadStatus',
    input: () => ({}),
    answer: (status) => status,
  });

  operationRoute<'getTransferKey'>(app, deps, {
    method: 'GET', paths: ['/securitydomain/upload'], operation: 'getTransferKey',
    input: () => ({}),
    answer: (transferKey) => ({ key_format: 'jwk', transfer_key: transferKey }),
  });

  operationRoute<'uploadSecurityDomain', { Body: { value?: unknown } | undefined }>(app, deps, {
    method: 'POST', paths: ['/securitydomain/upload'], operation: 'uploadSecurityDomain',
    input: (request) => ({ value: request.body?.value }),
    answer: (status, request, reply) => {
      accepted(request, reply, '/securitydomain/upload/pending');
      return status;
    },
  });

  operationRoute<'getSecurityDomainUploadStatus'>(app, deps, {
    method: 'GET', paths: ['/securitydomain/upload/pending'], operation: 'getSecurityDomainUploadStatus',
    input: () => ({}),
    answer: (status) => status,
  });
}
