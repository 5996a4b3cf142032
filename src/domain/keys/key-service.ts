/**
 * The key lifecycle, one method per Key Vault operation (createKey, importKey, getKey, updateKey, listKeys,
 * listKeyVersions, deleteKey, getDeletedKey, listDeletedKeys, recoverDeletedKey, purgeDeletedKey).
 *
 * Methods take plain request objects (already shape-checked by the route schemas) and return storage records;
 * the API layer turns records into wire bundles. Every rule about what a request may do is decided here or in
 * the small modules this one calls.
 */
import { publicJwk } from '../../crypto/key-encoding.ts';
import { generateKeyMaterial } from '../../crypto/key-generation.ts';
import { importJwk } from '../../crypto/jwk-import.ts';
import type { KeyMaterial } from '../../crypto/key-material.ts';
import { badParameter, deletedKeyNotFound, keyIsDeletedButRecoverable, keyNotFound } from '../../errors/errors.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { Keystore } from '../../keystore/keystore.ts';
import type {
  Deleted,
  KeyRepository,
  KeyVersionMeta,
  KeyVersionRecord,
  Page,
  PageRequest,
} from '../../storage/store.ts';
import { attributesPatch, newKeyAttributes, releasePolicyOf, type KeyPropertiesRequest } from './key-attributes.ts';
import { assertValidKeyName, emptyAsLatest, newKeyVersion } from './key-names.ts';
import { keyFamilyOf, keyOperationsFor, keySpecOf, type KeySpecRequest } from './key-types.ts';

export interface CreateKeyRequest extends KeySpecRequest, KeyPropertiesRequest {
  key_ops?: string[] | undefined;
}

export interface ImportKeyRequest extends KeyPropertiesRequest {
  key: Record<string, unknown> & { kty?: unknown; key_ops?: string[] | undefined };
  Hsm?: boolean | undefined;
}

export interface UpdateKeyRequest extends KeyPropertiesRequest {
  key_ops?: string[] | undefined;
}

export interface KeyServiceOptions {
  store: KeyRepository;
  keystore: Keystore;
  retentionDays: number;
  now: () => IntDate;
}

const SECONDS_PER_DAY = 86_400;

export class KeyService {
  readonly #store: KeyRepository;
  readonly #keystore: Keystore;
  readonly #retentionDays: number;
  readonly #now: () => IntDate;

  constructor(options: KeyServiceOptions) {
    this.#store = options.store;
    this.#keystore = options.keystore;
    this.#retentionDays = options.retentionDays;
    this.#now = options.now;
  }

  get retentionDays(): number {
    return this.#retentionDays;
  }

  async createKey(name: string, request: CreateKeyRequest): Promise<KeyVersionRecord> {
    assertValidKeyName(name);
    const spec = keySpecOf(request);
    const keyOps = keyOperationsFor(spec.family, request.key_ops);
    const properties = this.#newVersionProperties(request);
    // Generating an RSA-4096 key takes seconds: refuse a soft-deleted name before doing the work.
    await this.#assertNameNotDeleted(name);
    const material = await generateKeyMaterial(spec);
    return this.#addVersion(name, material, keyOps, properties);
  }

  async importKey(name: string, request: ImportKeyRequest): Promise<KeyVersionRecord> {
    assertValidKeyName(name);
    if (request.key['key_hsm'] !== undefined) {
      throw badParameter('Importing a BYOK transfer blob (key_hsm) is not supported yet; import a JSON Web Key with its private members.');
    }
    const family = keyFamilyOf(request.key.kty);
    const keyOps = keyOperationsFor(family, request.key.key_ops);
    const properties = this.#newVersionProperties(request);
    const material = importJwk(family, request.key);
    await this.#assertNameNotDeleted(name);
    return this.#addVersion(name, material, keyOps, properties);
  }

  async getKey(name: string, version?: string): Promise<KeyVersionRecord> {
    const record = await this.#store.getKeyVersion(name, emptyAsLatest(version));
    if (record === undefined) throw keyNotFound(name, version);
    return record;
  }

  async updateKey(name: string, version: string | undefined, request: UpdateKeyRequest): Promise<KeyVersionRecord> {
    const current = await this.getKey(name, version);
    const keyOps = request.key_ops === undefined ? undefined : keyOperationsFor(current.family, request.key_ops);
    const patch = attributesPatch(current, { ...request, key_ops: keyOps }, this.#now());
    const updated = await this.#store.updateKeyVersion(name, current.version, patch);
    if (updated === undefined) throw keyNotFound(name, version);
    return updated;
  }

  listKeys(page: PageRequest): Promise<Page<KeyVersionMeta>> {
    return this.#store.listKeys(page);
  }

  async listKeyVersions(name: string, page: PageRequest): Promise<Page<KeyVersionMeta>> {
    const versions = await this.#store.listKeyVersions(name, page);
    if (versions === undefined) throw keyNotFound(name);
    return versions;
  }

  async deleteKey(name: string): Promise<Deleted<KeyVersionRecord>> {
    const deletedDate = this.#now();
    const deleted = await this.#store.deleteKey(name, {
      deletedDate,
      scheduledPurgeDate: deletedDate + this.#retentionDays * SECONDS_PER_DAY,
    });
    if (deleted === undefined) throw keyNotFound(name);
    return deleted;
  }

  async getDeletedKey(name: string): Promise<Deleted<KeyVersionRecord>> {
    const deleted = await this.#store.getDeletedKey(name);
    if (deleted === undefined) throw deletedKeyNotFound(name);
    return deleted;
  }

  listDeletedKeys(page: PageRequest): Promise<Page<Deleted<KeyVersionMeta>>> {
    return this.#store.listDeletedKeys(page);
  }

  async recoverDeletedKey(name: string): Promise<KeyVersionRecord> {
    const recovered = await this.#store.recoverDeletedKey(name);
    if (recovered === undefined) throw deletedKeyNotFound(name);
    return recovered;
  }

  async purgeDeletedKey(name: string): Promise<void> {
    if (!(await this.#store.purgeDeletedKey(name))) throw deletedKeyNotFound(name);
    this.#keystore.forget(name);
  }

  /** Purges deleted keys whose retention has run out; the service calls this on a timer. */
  async purgeExpiredKeys(): Promise<string[]> {
    const purged = await this.#store.purgeExpiredKeys(this.#now());
    for (const name of purged) this.#keystore.forget(name);
    return purged;
  }

  #newVersionProperties(request: KeyPropertiesRequest) {
    const releasePolicy = releasePolicyOf(request.release_policy);
    return {
      attributes: newKeyAttributes(request.attributes, releasePolicy, this.#now()),
      tags: request.tags,
      releasePolicy,
    };
  }

  async #assertNameNotDeleted(name: string): Promise<void> {
    if ((await this.#store.getDeletedKey(name)) !== undefined) throw keyIsDeletedButRecoverable(name);
  }

  async #addVersion(
    name: string,
    material: KeyMaterial,
    keyOps: string[],
    properties: Pick<KeyVersionRecord, 'attributes' | 'tags' | 'releasePolicy'>,
  ): Promise<KeyVersionRecord> {
    const version = newKeyVersion();
    const record: KeyVersionRecord = {
      name,
      version,
      family: material.family,
      keySize: material.family === 'EC' ? undefined : material.sizeBits,
      curve: material.family === 'EC' ? material.curve : undefined,
      keyOps,
      publicJwk: publicJwk(material),
      sealedMaterial: this.#keystore.seal(name, version, material),
      ...properties,
    };
    if ((await this.#store.addKeyVersion(record)) === 'name-is-deleted') throw keyIsDeletedButRecoverable(name);
    // A later version of an existing key keeps the name the key was first created with.
    return (await this.#store.getKeyVersion(name, version)) ?? record;
  }
}
