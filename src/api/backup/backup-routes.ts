/**
 * Full backup, full restore and selective key restore (reference §5.3), with the long-running-operation
 * protocol the admin SDK's poller (core-lro) follows: 202 with the operation, `Azure-AsyncOperation` naming
 * `/backup/{jobId}/pending` or `/restore/{jobId}/pending`, and `Retry-After`; the status endpoint answers the
 * operation until it says Succeeded or Failed. After a PUT core-lro reads `resourceLocation` from the final
 * status and GETs it, so restore operations name their own status endpoint there (the real service's missing
 * final GET, Azure/azure-sdk-for-js#32142).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BackupJob } from '../../domain/backup/backup-jobs.ts';
import type { RestoreRequest, SasTokenParameter, SelectiveRestoreRequest } from '../../domain/backup/backup-operations.ts';
import { originOf } from '../../http/host.ts';
import { operationRoute, type RouteDeps } from '../operation-route.ts';

const POLL_AFTER_SECONDS = '2';

type JobParams = { Params: { jobId: string } };

function fullBackupOperation(job: BackupJob) {
  return {
    status: job.status,
    statusDetails: job.statusDetails,
    error: job.error ?? null,
    startTime: job.startTime,
    endTime: job.endTime ?? null,
    jobId: job.jobId,
    azureStorageBlobContainerUri: job.folderUri ?? null,
  };
}

function restoreOperation(job: BackupJob, origin: string) {
  return {
    status: job.status,
    statusDetails: job.statusDetails,
    error: job.error ?? null,
    jobId: job.jobId,
    startTime: job.startTime,
    endTime: job.endTime ?? null,
    resourceLocation: `${origin}/restore/${job.jobId}/pending`,
  };
}

function accepted(request: FastifyRequest, reply: FastifyReply, statusPath: string): void {
  reply.code(202).header('azure-asyncoperation', `${originOf(request.host)}${statusPath}`).header('retry-after', POLL_AFTER_SECONDS);
}

export function registerBackupRoutes(app: FastifyInstance, deps: RouteDeps): void {
  for (const [path, operation] of [['/backup', 'fullBackup'], ['/prebackup', 'preFullBackup']] as const) {
    operationRoute<typeof operation, { Body: SasTokenParameter | undefined }>(app, deps, {
      method: 'POST', paths: [path], operation,
      input: (request) => ({ request: request.body }),
      answer: (job, request, reply) => {
        accepted(request, reply, `/backup/${job.jobId}/pending`);
        return fullBackupOperation(job);
      },
    });
  }

  operationRoute<'fullBackupStatus', JobParams>(app, deps, {
    method: 'GET', paths: ['/backup/:jobId/pending'], operation: 'fullBackupStatus',
    input: (request) => ({ jobId: request.params.jobId }),
    answer: (job) => fullBackupOperation(job),
  });

  for (const [path, operation] of [['/restore', 'fullRestoreOperation'], ['/prerestore', 'preFullRestoreOperation']] as const) {
    operationRoute<typeof operation, { Body: RestoreRequest | undefined }>(app, deps, {
      method: 'PUT', paths: [path], operation,
      input: (request) => ({ request: request.body }),
      answer: (job, request, reply) => {
        accepted(request, reply, `/restore/${job.jobId}/pending`);
        return restoreOperation(job, originOf(request.host));
      },
    });
  }

  operationRoute<'selectiveKeyRestoreOperation', { Params: { name: string }; Body: SelectiveRestoreRequest | undefined }>(app, deps, {
    method: 'PUT', paths: ['/keys/:name/restore'], operation: 'selectiveKeyRestoreOperation',
    input: (request) => ({ name: request.params.name, request: request.body }),
    answer: (job, request, reply) => {
      accepted(request, reply, `/restore/${job.jobId}/pending`);
      return restoreOperation(job, originOf(request.host));
    },
  });

  operationRoute<'restoreStatus', JobParams>(app, deps, {
    method: 'GET', paths: ['/restore/:jobId/pending'], operation: 'restoreStatus',
    input: (request) => ({ jobId: request.params.jobId }),
    answer: (job, request) => restoreOperation(job, originOf(request.host)),
  });
}
