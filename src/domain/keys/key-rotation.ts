/** PLACEHOLDER (coordinator): rotation and rotation policies; the rotation helper replaces this file. */
import { readOperation, writeOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import type { KeyVersion } from './key-model.ts';
import { KEYS_SCOPE, keyFields, keyScope } from './key-scope.ts';

const notBuilt = async (): Promise<never> => { throw new Error('rotation is not built yet'); };

export const rotateKey = writeOperation<{ name: string }, KeyVersion>({
  name: 'rotateKey',
  dataAction: DataActions.rotateKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => keyFields(input.name, output?.version),
  run: notBuilt,
});

export const getKeyRotationPolicy = readOperation<{ name: string }, unknown>({
  name: 'getKeyRotationPolicy',
  dataAction: DataActions.readKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  run: notBuilt,
});

export const updateKeyRotationPolicy = writeOperation<{ name: string; policy: unknown }, unknown>({
  name: 'updateKeyRotationPolicy',
  dataAction: DataActions.writeKey,
  scope: (input) => keyScope(input.name),
  audit: (input) => keyFields(input.name),
  run: notBuilt,
});

/** Not an Azure operation: the rotation job runs it as the system caller. */
export const runKeyRotationSchedule = writeOperation<{ asOf?: number | undefined }, unknown>({
  name: 'runKeyRotationSchedule',
  dataAction: DataActions.rotateKey,
  scope: () => KEYS_SCOPE,
  audit: () => ({}),
  run: notBuilt,
});
