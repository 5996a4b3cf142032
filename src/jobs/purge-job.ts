/**
 * Purges deleted keys, then deleted secrets, whose retention has run out, through the kernel as the system
 * caller: two operations (two units, two audit records), since keys and secrets are separate namespaces.
 */
import { OPERATIONS } from '../domain/kernel/catalogue.ts';
import { nextRequest } from '../domain/kernel/context.ts';
import type { Kernel } from '../domain/kernel/kernel.ts';
import type { Job } from './job.ts';

export function purgeJob(kernel: Kernel): Job {
  return {
    name: 'purge-expired-keys',
    intervalSeconds: 60,
    // Renewed while a run goes on; a node that dies mid-run frees the job after this.
    leaseSeconds: 15,
    run: async (context) => {
      await kernel.perform(nextRequest(context), OPERATIONS.purgeExpiredKeys, {});
      await kernel.perform(nextRequest(context), OPERATIONS.purgeExpiredSecrets, {});
      return undefined;
    },
  };
}
