/**
 * The operations that use a key: sign, verify, encrypt, decrypt, wrapKey, unwrapKey. One spec each (its
 * key_ops entry, data action, whether it works outside the validity window, and the crypto call); `keyUse`
 * gives them all the same pipeline, in the order Key Vault documents:
 *
 *   1. the key version exists and is not deleted              → else 404 KeyNotFound
 *   2. `enabled` is true                                      → else 403 Forbidden (KeyDisabled)
 *   3. the operation is listed in the version's `key_ops`      → else 403 Forbidden (KeyOperationForbidden)
 *   4. now is inside [nbf, exp), except for decrypt, unwrapKey and verify, which keep working outside the
 *      window so data protected while the key was valid can still be recovered or checked
 *                                                             → else 403 Forbidden (KeyNotYetValid/KeyExpired)
 *   5. the algorithm fits the key and the parameters are right → else 400 BadParameter (crypto engine)
 * Attributes are read from committed storage on every call, so a change made through any worker applies at once.
 */
import type { KeyOperation } from '../../crypto/algorithms.ts';
import type { KeyMaterial } from '../../crypto/key-material.ts';
import {
  decrypt,
  encrypt,
  signDigest,
  unwrapKey as unwrap,
  verifyDigest,
  wrapKey as wrap,
  type DecryptInput,
  type EncryptInput,
  type EncryptResult,
} from '../../crypto/operations.ts';
import { forbidden, keyNotFound } from '../../errors/errors.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { readOperation, type ReadOperation } from '../kernel/operation.ts';
import { DataActions, type DataAction } from '../rbac/data-actions.ts';
import type { KeyVersion } from './key-model.ts';
import { emptyAsLatest } from './key-names.ts';
import type { KeyAddress } from './key-reads.ts';
import { keyFields, keyScope } from './key-scope.ts';

export interface KeyUseInput extends KeyAddress {
  alg: string;
}

export interface KeyUseOutcome<T> {
  /** The version that performed the operation (its kid is part of every answer). */
  key: KeyVersion;
  result: T;
}

interface KeyUseSpec<I extends KeyUseInput, T> {
  keyOp: KeyOperation;
  dataAction: DataAction;
  /** Decrypt, unwrapKey and verify recover or check what was protected while the key was valid. */
  usableOutsideValidity: boolean;
  execute(material: KeyMaterial, input: I): Promise<T>;
}

function keyUse<I extends KeyUseInput, T>(spec: KeyUseSpec<I, T>): ReadOperation<I, KeyUseOutcome<T>> {
  return readOperation({
    name: spec.keyOp,
    dataAction: spec.dataAction,
    keyOp: spec.keyOp,
    scope: (input) => keyScope(input.name),
    audit: (input, output) => ({ ...keyFields(input.name, output?.key.version ?? input.version), alg: input.alg }),
    async run({ input, now, env }, store) {
      const key = await store.keys.getKeyVersion(input.name, emptyAsLatest(input.version));
      if (key === undefined) throw keyNotFound(input.name, input.version);
      assertUsable(key, spec, now);
      return { key, result: await spec.execute(env.keystore.material(key), input) };
    },
  });
}

function assertUsable(key: KeyVersion, spec: KeyUseSpec<never, unknown>, now: IntDate): void {
  const { keyOp: operation } = spec;
  const { enabled, nbf, exp } = key.attributes;
  if (!enabled) throw forbidden(`Operation ${operation} is not allowed on a disabled key.`, 'KeyDisabled');
  if (!key.keyOps.includes(operation)) {
    throw forbidden(`Operation ${operation} is not permitted by this key's key_ops (${key.keyOps.join(', ') || 'none'}).`, 'KeyOperationForbidden');
  }
  if (spec.usableOutsideValidity) return;
  if (nbf !== undefined && now < nbf) throw forbidden(`Operation ${operation} is not allowed: the key is not valid before ${nbf} (nbf).`, 'KeyNotYetValid');
  if (exp !== undefined && now >= exp) throw forbidden(`Operation ${operation} is not allowed: the key expired at ${exp} (exp).`, 'KeyExpired');
}

export const sign = keyUse<KeyUseInput & { digest: Buffer }, Buffer>({
  keyOp: 'sign',
  dataAction: DataActions.sign,
  usableOutsideValidity: false,
  execute: (material, input) => signDigest(material, input.alg, input.digest),
});

export const verify = keyUse<KeyUseInput & { digest: Buffer; signature: Buffer }, boolean>({
  keyOp: 'verify',
  dataAction: DataActions.verify,
  usableOutsideValidity: true,
  execute: (material, input) => verifyDigest(material, input.alg, input.digest, input.signature),
});

export const encryptWithKey = keyUse<KeyUseInput & EncryptInput, EncryptResult>({
  keyOp: 'encrypt',
  dataAction: DataActions.encrypt,
  usableOutsideValidity: false,
  execute: (material, input) => encrypt(material, input.alg, input),
});

export const decryptWithKey = keyUse<KeyUseInput & DecryptInput, Buffer>({
  keyOp: 'decrypt',
  dataAction: DataActions.decrypt,
  usableOutsideValidity: true,
  execute: (material, input) => decrypt(material, input.alg, input),
});

export const wrapKey = keyUse<KeyUseInput & { keyToWrap: Buffer }, Buffer>({
  keyOp: 'wrapKey',
  dataAction: DataActions.wrapKey,
  usableOutsideValidity: false,
  execute: (material, input) => wrap(material, input.alg, input.keyToWrap),
});

export const unwrapKey = keyUse<KeyUseInput & { wrapped: Buffer }, Buffer>({
  keyOp: 'unwrapKey',
  dataAction: DataActions.unwrapKey,
  usableOutsideValidity: true,
  execute: (material, input) => unwrap(material, input.alg, input.wrapped),
});
