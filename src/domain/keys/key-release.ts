/** PLACEHOLDER (coordinator): secure key release; the key-release helper replaces this file. */
import { readOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import type { KeyAddress } from './key-reads.ts';
import { keyFields, keyScope } from './key-scope.ts';

export interface ReleaseKeyInput extends KeyAddress {
  target: string;
  nonce?: string | undefined;
  enc?: string | undefined;
}

export const releaseKey = readOperation<ReleaseKeyInput, { value: string }>({
  name: 'release',
  dataAction: DataActions.releaseKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name, input.version),
  run: async () => { throw new Error('release is not built yet'); },
});
