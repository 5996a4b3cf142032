/**
 * `strongroom backup`: a full backup of the instance (reference §5.3, `POST /backup`) into a blob container or a
 * directory; the instance writes a new folder there and the command prints its URL, the `--from` of a restore.
 */
import { COMMON_OPTIONS, CommandFailure, printResult, required, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';
import { pollOperation } from '../long-running-operation.ts';
import { Progress } from '../progress.ts';
import { storageUrlOf } from '../storage-url.ts';

const OPTIONS = {
  to: { type: 'string', value: 'URL', description: 'Blob container URL (https://account.blob.core.windows.net/container) or directory (file:///var/backups, or a path).' },
  'sas-token': { type: 'string', value: 'TOKEN', description: 'SAS token of the container (env STRONGROOM_SAS_TOKEN keeps it out of the process list).' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

export const backup: Command<typeof OPTIONS> = {
  name: 'backup',
  summary: 'Make a full backup of the instance (keys with all versions, deleted keys), readable only by an instance of the same security domain.',
  examples: [
    'strongroom backup --to file:///var/backups/strongroom',
    'strongroom backup --to https://account.blob.core.windows.net/backups --sas-token "$SAS" --json',
  ],
  options: OPTIONS,
  async run(values, io) {
    const storageResourceUri = storageUrlOf(required(values.to, '--to'), '--to');
    const token = values['sas-token'] ?? io.env['STRONGROOM_SAS_TOKEN'];
    const client = connect(values, io.env);
    const progress = new Progress(io.stderr);
    try {
      progress.update('Full backup: starting');
      const initial = await client.request('POST', '/backup', { storageResourceUri, ...(token === undefined ? {} : { token }) });
      const jobId = jobIdOf(initial.body);
      const done = await pollOperation(client, initial, { fallbackUrl: `/backup/${encodeURIComponent(jobId)}/pending`, label: 'Full backup', progress });
      const folderUri = done['azureStorageBlobContainerUri'] ?? (initial.body as Record<string, unknown>)['azureStorageBlobContainerUri'];
      if (typeof folderUri !== 'string') throw new CommandFailure('the backup succeeded but the instance did not say where (no azureStorageBlobContainerUri)');
      printResult(io, values.json, { folderUri }, [`Backup written to ${folderUri}`, `Restore it with: strongroom restore --from ${folderUri}`]);
    } catch (error) {
      progress.end();
      throw error;
    } finally {
      client.close();
    }
  },
};

/** The job id of an initial answer (FullBackupOperation / RestoreOperation). */
export function jobIdOf(body: unknown): string {
  const jobId = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['jobId'] : undefined;
  if (typeof jobId !== 'string' || jobId === '') throw new CommandFailure('the instance started the operation but gave no jobId');
  return jobId;
}
