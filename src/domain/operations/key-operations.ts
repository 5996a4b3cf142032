/**
 * The cryptographic key operations (sign, verify, encrypt, decrypt, wrapKey, unwrapKey): one pipeline that
 * decides whether a key version may be used, then hands its cached material to the crypto engine.
 *
 * The rules, in the order they are checked (Key Vault's documented semantics):
 *   1. the key version exists and is not deleted              → else 404 KeyNotFound
 *   2. `enabled` is true                                      → else 403 Forbidden (KeyDisabled)
 *   3. the operation is listed in the version's `key_ops`      → else 403 Forbidden (KeyOperationForbidden)
 *   4. now is inside [nbf, exp), except for decrypt, unwrapKey and verify, which keep working outside the
 *      window so data protected while the key was valid can still be recovered or checked
 *                                                             → else 403 Forbidden (KeyNotYetValid/KeyExpired)
 *   5. the algorithm fits the key and the parameters are right → else 400 BadParameter (crypto engine)
 * Attributes are read from storage on every call, so a change made through any worker applies at once.
 */
import {
  decrypt,
  encrypt,
  signDigest,
  unwrapKey,
  verifyDigest,
  wrapKey,
  type DecryptInput,
  type EncryptInput,
  type EncryptResult,
} from '../../crypto/operations.ts';
import type { KeyMaterial } from '../../crypto/key-material.ts';
import { forbidden, keyNotFound } from '../../errors/errors.ts';
import { emptyAsLatest } from '../keys/key-names.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { Keystore } from '../../keystore/keystore.ts';
import type { KeyRepository, KeyVersionRecord } from '../../storage/store.ts';

export type KeyOperationName = 'sign' | 'verify' | 'encrypt' | 'decrypt' | 'wrapKey' | 'unwrapKey';

/** Operations that keep working outside the nbf/exp window (release will join them). */
const ALLOWED_OUTSIDE_VALIDITY: ReadonlySet<KeyOperationName> = new Set(['decrypt', 'unwrapKey', 'verify']);

export interface OperationOutcome<T> {
  /** The version that performed the operation (its kid is part of every answer). */
  record: KeyVersionRecord;
  result: T;
}

export class KeyOperations {
  readonly #store: KeyRepository;
  readonly #keystore: Keystore;
  readonly #now: () => IntDate;

  constructor(options: { store: KeyRepository; keystore: Keystore; now: () => IntDate }) {
    this.#store = options.store;
    this.#keystore = options.keystore;
    this.#now = options.now;
  }

  sign(name: string, version: string | undefined, alg: string, digest: Buffer): Promise<OperationOutcome<Buffer>> {
    return this.#perform(name, version, 'sign', (material) => signDigest(material, alg, digest));
  }

  verify(name: string, version: string | undefined, alg: string, digest: Buffer, signature: Buffer): Promise<OperationOutcome<boolean>> {
    return this.#perform(name, version, 'verify', (material) => verifyDigest(material, alg, digest, signature));
  }

  encrypt(name: string, version: string | undefined, alg: string, input: EncryptInput): Promise<OperationOutcome<EncryptResult>> {
    return this.#perform(name, version, 'encrypt', (material) => encrypt(material, alg, input));
  }

  decrypt(name: string, version: string | undefined, alg: string, input: DecryptInput): Promise<OperationOutcome<Buffer>> {
    return this.#perform(name, version, 'decrypt', (material) => decrypt(material, alg, input));
  }

  wrapKey(name: string, version: string | undefined, alg: string, keyToWrap: Buffer): Promise<OperationOutcome<Buffer>> {
    return this.#perform(name, version, 'wrapKey', (material) => wrapKey(material, alg, keyToWrap));
  }

  unwrapKey(name: string, version: string | undefined, alg: string, wrapped: Buffer): Promise<OperationOutcome<Buffer>> {
    return this.#perform(name, version, 'unwrapKey', (material) => unwrapKey(material, alg, wrapped));
  }

  async #perform<T>(
    name: string,
    version: string | undefined,
    operation: KeyOperationName,
    run: (material: KeyMaterial) => Promise<T>,
  ): Promise<OperationOutcome<T>> {
    const record = await this.#store.getKeyVersion(name, emptyAsLatest(version));
    if (record === undefined) throw keyNotFound(name, version);
    assertUsable(record, operation, this.#now());
    return { record, result: await run(this.#keystore.material(record)) };
  }
}

function assertUsable(record: KeyVersionRecord, operation: KeyOperationName, now: IntDate): void {
  const { enabled, nbf, exp } = record.attributes;
  if (!enabled) throw forbidden(`Operation ${operation} is not allowed on a disabled key.`, 'KeyDisabled');
  if (!record.keyOps.includes(operation)) {
    throw forbidden(`Operation ${operation} is not permitted by this key's key_ops (${record.keyOps.join(', ') || 'none'}).`, 'KeyOperationForbidden');
  }
  if (ALLOWED_OUTSIDE_VALIDITY.has(operation)) return;
  if (nbf !== undefined && now < nbf) throw forbidden(`Operation ${operation} is not allowed: the key is not valid before ${nbf} (nbf).`, 'KeyNotYetValid');
  if (exp !== undefined && now >= exp) throw forbidden(`Operation ${operation} is not allowed: the key expired at ${exp} (exp).`, 'KeyExpired');
}
