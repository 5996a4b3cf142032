/**
 * getKeyAttestation (reference §3.7): a key version and the instance's signed statements about it
 * (key-attestation-statement.ts). Refused as getKey refuses (404 for a missing or deleted key); the oct
 * commitment needs the key's material, so it opens it through the keystore as any use of the key does.
 */
import { keyNotFound } from '../../errors/errors.ts';
import { readOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import { buildKeyAttestation, keyCommitment, type KeyAttestationWire, type KeyCommitment } from './key-attestation-statement.ts';
import type { KeyVersion } from './key-model.ts';
import { emptyAsLatest } from './key-names.ts';
import type { KeyAddress } from './key-reads.ts';
import { keyFields, keyScope } from './key-scope.ts';
import type { Keystore } from '../../keystore/keystore.ts';

export interface KeyAttestationInput extends KeyAddress {
  /** `https://host[:port]` as the caller addressed the service: the statements name the kid the caller sees. */
  origin: string;
}

export interface AttestedKey {
  record: KeyVersion;
  attestation: KeyAttestationWire;
}

export const getKeyAttestation = readOperation<KeyAttestationInput, AttestedKey>({
  name: 'getKeyAttestation',
  dataAction: DataActions.readKey,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => keyFields(input.name, output?.record.version ?? input.version),
  async run({ input, env, now }, store) {
    const record = await store.keys.getKeyVersion(input.name, emptyAsLatest(input.version));
    if (record === undefined) throw keyNotFound(input.name, input.version);
    const attestation = buildKeyAttestation({
      kid: `${input.origin}/keys/${record.name}/${record.version}`,
      record,
      commitment: record.family === 'oct' ? commitmentOf(env.keystore, record) : undefined,
      domainKeyHolder: env.custody.provider.kind,
      now,
    }, env.attestation);
    return { record, attestation };
  },
});

function commitmentOf(keystore: Keystore, record: KeyVersion): KeyCommitment {
  const material = keystore.material(record);
  if (material.family !== 'oct') throw new TypeError('an oct key version holds oct material');
  const bytes = material.secretKey.export();
  try {
    return keyCommitment(record.version, bytes);
  } finally {
    bytes.fill(0);
  }
}
