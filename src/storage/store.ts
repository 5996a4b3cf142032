/**
 * The storage contract: everything Strongroom persists, as records, with every mutation atomic.
 *
 * Each method is one transaction, so a backend never has to hold a transaction open across an `await` of the
 * domain (key generation, hashing): the domain prepares a complete record first and hands it over in one call.
 * Names are compared case-insensitively; backends key rows on the lower-cased name and keep the display name
 * the key was first created with. Private key material only ever arrives here sealed by the keystore.
 */
import type { CurveName, KeyFamily, PublicJwk } from '../crypto/key-material.ts';
import type { IntDate } from '../lib/intdate.ts';

export interface KeyAttributesRecord {
  enabled: boolean;
  nbf?: IntDate | undefined;
  exp?: IntDate | undefined;
  exportable: boolean;
  created: IntDate;
  updated: IntDate;
}

export interface ReleasePolicyRecord {
  contentType: string;
  immutable: boolean;
  /** base64url of the policy document, as the client sent it. */
  data: string;
}

/** What listings need: no key material, sealed or public. */
export interface KeyVersionMeta {
  name: string;
  version: string;
  family: KeyFamily;
  keySize?: number | undefined;
  curve?: CurveName | undefined;
  keyOps: string[];
  attributes: KeyAttributesRecord;
  tags?: Record<string, string> | undefined;
  releasePolicy?: ReleasePolicyRecord | undefined;
}

export interface KeyVersionRecord extends KeyVersionMeta {
  publicJwk: PublicJwk;
  /** The private material sealed by the keystore; opaque to storage. */
  sealedMaterial: Buffer;
}

export interface DeletionInfo {
  deletedDate: IntDate;
  scheduledPurgeDate: IntDate;
}

export type Deleted<T> = T & { deletion: DeletionInfo };

/** Changes to one version; `undefined` members stay as they are. */
export interface KeyVersionPatch {
  keyOps?: string[] | undefined;
  enabled?: boolean | undefined;
  nbf?: IntDate | null | undefined;
  exp?: IntDate | null | undefined;
  exportable?: boolean | undefined;
  tags?: Record<string, string> | undefined;
  releasePolicy?: ReleasePolicyRecord | undefined;
  updated: IntDate;
}

/** Keyset paging: `after` is the opaque position returned with the previous page. */
export interface PageRequest {
  limit: number;
  after?: string | undefined;
}
export interface Page<T> {
  items: T[];
  /** Position of the last item when more may follow; absent on the last page. */
  next?: string | undefined;
}

export type AddVersionOutcome = 'added' | 'name-is-deleted';

export interface PrincipalRecord {
  id: string;
  displayName: string;
  secretHash: string;
  created: IntDate;
}

export interface KeyRepository {
  /** Adds a version, creating the key when the name is new. Refuses a name held by a soft-deleted key. */
  addKeyVersion(record: KeyVersionRecord): Promise<AddVersionOutcome>;
  /** A version of an active (not deleted) key; the latest when `version` is undefined. */
  getKeyVersion(name: string, version?: string): Promise<KeyVersionRecord | undefined>;
  updateKeyVersion(name: string, version: string, patch: KeyVersionPatch): Promise<KeyVersionRecord | undefined>;
  /** The latest version of each active key, ordered by name. */
  listKeys(page: PageRequest): Promise<Page<KeyVersionMeta>>;
  /** Every version of an active key, oldest first; undefined when the key does not exist. */
  listKeyVersions(name: string, page: PageRequest): Promise<Page<KeyVersionMeta> | undefined>;

  /** Soft-deletes every version; returns the latest version as it was deleted. */
  deleteKey(name: string, deletion: DeletionInfo): Promise<Deleted<KeyVersionRecord> | undefined>;
  getDeletedKey(name: string): Promise<Deleted<KeyVersionRecord> | undefined>;
  listDeletedKeys(page: PageRequest): Promise<Page<Deleted<KeyVersionMeta>>>;
  /** Undoes a soft delete; returns the latest version, or undefined when the name is not deleted. */
  recoverDeletedKey(name: string): Promise<KeyVersionRecord | undefined>;
  /** Removes a soft-deleted key and all its versions for good. */
  purgeDeletedKey(name: string): Promise<boolean>;
  /** Purges every deleted key whose scheduled purge date has passed; returns the purged names. */
  purgeExpiredKeys(now: IntDate): Promise<string[]>;
}

export interface PrincipalRepository {
  addPrincipal(principal: PrincipalRecord): Promise<void>;
  getPrincipal(id: string): Promise<PrincipalRecord | undefined>;
}

/** Small named values the instance keeps about itself (tenant id, sealed signing keys, TLS CA...). */
export interface SettingsRepository {
  getSetting(name: string): Promise<string | undefined>;
  /** Stores the value unless the name is already set; returns the value that is stored now. */
  putSettingIfAbsent(name: string, value: string): Promise<string>;
  putSetting(name: string, value: string): Promise<void>;
}

export interface Store extends KeyRepository, PrincipalRepository, SettingsRepository {
  close(): Promise<void>;
}
