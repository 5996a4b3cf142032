/** PLACEHOLDER (coordinator): key attestation; the key-attestation helper replaces this file. */
import { readOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import type { KeyVersion } from './key-model.ts';
import type { KeyAddress } from './key-reads.ts';
import { keyFields, keyScope } from './key-scope.ts';

export const getKeyAttestation = readOperation<KeyAddress, KeyVersion>({
  name: 'getKeyAttestation',
  dataAction: DataActions.readKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => keyFields(input.name, output?.version ?? input.version),
  run: async () => { throw new Error('key attestation is not built yet'); },
});
