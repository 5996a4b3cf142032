/**
 * `strongroom restore`: a full restore (`PUT /restore`) or, with --key, a selective key restore
 * (`PUT /keys/{name}/restore`) from a backup folder that `strongroom backup` made (reference §5.3). The folder
 * URL is split into container and folder name as the Azure SDK splits it.
 */
import { COMMON_OPTIONS, printResult, required, UsageError, type Command } from '../command.ts';
import { CONNECTION_OPTIONS, connect } from '../connection.ts';
import { pollOperation } from '../long-running-operation.ts';
import { Progress } from '../progress.ts';
import { splitFolderUrl } from '../storage-url.ts';
import { jobIdOf } from './backup.ts';

const OPTIONS = {
  from: { type: 'string', value: 'FOLDER_URL', description: 'The backup folder: https://account.blob.core.windows.net/container/folder or file:///dir/folder (what backup printed).' },
  'sas-token': { type: 'string', value: 'TOKEN', description: 'SAS token of the container (env STRONGROOM_SAS_TOKEN).' },
  key: { type: 'string', value: 'NAME', description: 'Restore only this key (selective key restore).' },
  ...CONNECTION_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

/** Key names as Key Vault allows them. */
const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export const restore: Command<typeof OPTIONS> = {
  name: 'restore',
  summary: 'Restore a full backup into the instance, or one key of it with --key; the instance must hold the security domain the backup was made under.',
  examples: [
    'strongroom restore --from file:///var/backups/strongroom/mhsm-strongroom-2026120101',
    'strongroom restore --from https://account.blob.core.windows.net/backups/mhsm-strongroom-2026120101 --sas-token "$SAS" --key payments-signing',
  ],
  options: OPTIONS,
  async run(values, io) {
    const { containerUri, folder } = splitFolderUrl(required(values.from, '--from'), '--from');
    const key = values.key;
    if (key !== undefined && !KEY_NAME.test(key)) throw new UsageError('--key must be a key name: 1 to 127 letters, digits and dashes');
    const token = values['sas-token'] ?? io.env['STRONGROOM_SAS_TOKEN'];
    const sasTokenParameters = { storageResourceUri: containerUri, ...(token === undefined ? {} : { token }) };
    const client = connect(values, io.env);
    const progress = new Progress(io.stderr);
    const label = key === undefined ? 'Full restore' : `Restore of key ${key}`;
    try {
      progress.update(`${label}: starting`);
      const initial = key === undefined
        ? await client.request('PUT', '/restore', { sasTokenParameters, folderToRestore: folder })
        : await client.request('PUT', `/keys/${encodeURIComponent(key)}/restore`, { sasTokenParameters, folder });
      const jobId = jobIdOf(initial.body);
      await pollOperation(client, initial, { fallbackUrl: `/restore/${encodeURIComponent(jobId)}/pending`, label, progress });
      printResult(io, values.json, { status: 'Succeeded', jobId, folder: `${containerUri}/${folder}`, ...(key === undefined ? {} : { key }) }, [
        key === undefined ? `Restored the backup ${folder}.` : `Restored key ${key} from the backup ${folder}.`,
      ]);
    } catch (error) {
      progress.end();
      throw error;
    } finally {
      client.close();
    }
  },
};
