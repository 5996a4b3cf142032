/** getRandomBytes (`POST /rng`): bytes from the CSPRNG (OpenSSL's DRBG through node:crypto), 1 to 128 at a time. */
import { randomBytes } from 'node:crypto';
import { readOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';

export const getRandomBytes = readOperation<{ count: number }, Buffer>({
  name: 'getRandomBytes',
  dataAction: DataActions.randomBytes,
  scope: () => '/',
  audit: (input) => ({ count: input.count }),
  run: async ({ input }) => randomBytes(input.count),
});
