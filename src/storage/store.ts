/**
 * The storage contract: one repository per aggregate (keys, principals, settings, jobs), and units of work.
 *
 * - Reads outside a unit of work (`store.reader`) see committed state only; they are the hot path of every key
 *   operation, and backends may cache them as long as a cached answer is exactly as fresh as a query.
 * - `store.transaction(work)` runs `work` as one unit of work: everything it writes commits together or not
 *   at all, and `afterCommit` callbacks (cache invalidation) run only once it has committed. A unit is short:
 *   expensive work (key generation, hashing) happens before it opens, because a backend may hold a write lock
 *   for its whole duration.
 * - Conditional updates name the row version they read; a concurrent change makes them throw
 *   `ConcurrentChangeError`, and the kernel runs the unit again.
 *
 * Names are compared case-insensitively; backends key rows on the lower-cased name and keep the display name
 * the key was first created with. The model types belong to the domain (`domain/keys/key-model.ts` and its siblings).
 */
import type {
  Deleted,
  DeletionInfo,
  KeyVersion,
  KeyVersionMeta,
  KeyVersionPatch,
} from '../domain/keys/key-model.ts';
import type { Principal } from '../domain/principals/principal-model.ts';
import type { IntDate } from '../lib/intdate.ts';
import type { JobRecord, JobRun } from '../jobs/job-model.ts';
import type { RoleAssignment, RoleDefinition } from '../domain/rbac/role-model.ts';
import type { AuditChainHead, AuditQuery, AuditRecord } from '../domain/audit/audit-record.ts';
import type { RotationCandidate, RotationPolicy, StoredRotationPolicy } from '../domain/keys/rotation-policy.ts';
import type { KeyEventAttempt, KeyEventRecord } from '../domain/events/key-event-record.ts';
import type { SecretVersion, SecretVersionMeta, SecretVersionPatch, WholeSecret } from '../domain/secrets/secret-model.ts';

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

export interface KeyReader {
  /** A version of an active (not deleted) key; the latest when `version` is undefined. */
  getKeyVersion(name: string, version?: string): Promise<KeyVersion | undefined>;
  /** The latest version of each active key, ordered by lower-cased name. */
  listKeys(page: PageRequest): Promise<Page<KeyVersionMeta>>;
  /** Every version of an active key, oldest first; undefined when the key does not exist. */
  listKeyVersions(name: string, page: PageRequest): Promise<Page<KeyVersionMeta> | undefined>;
  /** The latest version of a soft-deleted key, as it was deleted. */
  getDeletedKey(name: string): Promise<Deleted<KeyVersion> | undefined>;
  listDeletedKeys(page: PageRequest): Promise<Page<Deleted<KeyVersionMeta>>>;
  /** A key, active or soft-deleted, with every version (oldest first) and its deletion if deleted: what a backup holds. */
  getKeyWithVersions(name: string): Promise<WholeKey | undefined>;
}

export interface WholeKey {
  name: string;
  versions: KeyVersion[];
  deletion?: DeletionInfo | undefined;
}

/**
 * The object limits an addition is checked against (domain/limits/object-limits.ts), in the same unit and under
 * a lock that serializes every checked addition, so concurrent additions cannot overshoot. Soft-deleted keys count.
 */
export interface KeyObjectLimits {
  /** Versions of one key. */
  maxVersionsPerKey: number;
  /** Keys (names) in the instance: Managed HSM's model. */
  maxKeys?: number | undefined;
  /** Handles in the instance: Cloud HSM's model, where every version costs its family's handles (RSA 2, oct 1…). */
  maxHandles?: { limit: number; costPerFamily: Readonly<Record<string, number>> } | undefined;
}

/** A limit an addition would exceed: which, and its value. */
export interface LimitRefusal {
  refused: 'keys' | 'versions' | 'handles';
  limit: number;
}

export interface KeyRepository extends KeyReader {
  /**
   * Adds a version, creating the key when the name is new. Refuses a name held by a soft-deleted key, and, given
   * `limits`, an addition that would exceed one (nothing is written then).
   */
  addKeyVersion(version: KeyVersion, limits?: KeyObjectLimits): Promise<AddVersionOutcome | LimitRefusal>;
  /**
   * Applies `patch` to a version of an active key if its row version is still `expectedRowVersion`; throws
   * ConcurrentChangeError if it changed since. Undefined when the version does not exist (or is deleted).
   */
  updateKeyVersion(name: string, version: string, expectedRowVersion: number, patch: KeyVersionPatch): Promise<KeyVersion | undefined>;
  /** Soft-deletes every version; returns the latest version as it was deleted. */
  deleteKey(name: string, deletion: DeletionInfo): Promise<Deleted<KeyVersion> | undefined>;
  /** Undoes a soft delete; returns the latest version, or undefined when the name is not deleted. */
  recoverDeletedKey(name: string): Promise<KeyVersion | undefined>;
  /** Removes a soft-deleted key and all its versions for good. */
  purgeDeletedKey(name: string): Promise<boolean>;
  /** Purges every deleted key whose scheduled purge date has passed; returns the purged names. */
  purgeExpiredKeys(now: IntDate): Promise<string[]>;
}

/**
 * Secrets (domain/secrets/): a namespace of its own beside keys', with the same shape: versions of a name,
 * soft delete of the whole secret, recover, purge. Values are stored sealed only (`sealedValue`).
 */
export interface SecretReader {
  /** A version of an active (not deleted) secret; the latest when `version` is undefined. */
  getSecretVersion(name: string, version?: string): Promise<SecretVersion | undefined>;
  /** The latest version of each active secret, ordered by lower-cased name. */
  listSecrets(page: PageRequest): Promise<Page<SecretVersionMeta>>;
  /** Every version of an active secret, oldest first; undefined when the secret does not exist. */
  listSecretVersions(name: string, page: PageRequest): Promise<Page<SecretVersionMeta> | undefined>;
  /** The latest version of a soft-deleted secret, as it was deleted. */
  getDeletedSecret(name: string): Promise<Deleted<SecretVersion> | undefined>;
  listDeletedSecrets(page: PageRequest): Promise<Page<Deleted<SecretVersionMeta>>>;
  /** A secret, active or soft-deleted, with every version (oldest first) and its deletion if deleted. */
  getSecretWithVersions(name: string): Promise<WholeSecret | undefined>;
}

export interface SecretRepository extends SecretReader {
  /** Adds a version, creating the secret when the name is new. Refuses a name held by a soft-deleted secret. */
  addSecretVersion(version: SecretVersion): Promise<AddVersionOutcome>;
  /**
   * Applies `patch` to a version of an active secret if its row version is still `expectedRowVersion`; throws
   * ConcurrentChangeError if it changed since. Undefined when the version does not exist (or is deleted).
   */
  updateSecretVersion(name: string, version: string, expectedRowVersion: number, patch: SecretVersionPatch): Promise<SecretVersion | undefined>;
  /** Soft-deletes every version; returns the latest version as it was deleted. */
  deleteSecret(name: string, deletion: DeletionInfo): Promise<Deleted<SecretVersion> | undefined>;
  /** Undoes a soft delete; returns the latest version, or undefined when the name is not deleted. */
  recoverDeletedSecret(name: string): Promise<SecretVersion | undefined>;
  /** Removes a soft-deleted secret and all its versions for good. */
  purgeDeletedSecret(name: string): Promise<boolean>;
  /** Purges every deleted secret whose scheduled purge date has passed; returns the purged names (sorted). */
  purgeExpiredSecrets(now: IntDate): Promise<string[]>;
}

export interface PrincipalReader {
  getPrincipal(id: string): Promise<Principal | undefined>;
  /** Every principal, ordered by id. */
  listPrincipals(): Promise<Principal[]>;
}
export interface PrincipalRepository extends PrincipalReader {
  addPrincipal(principal: Principal): Promise<void>;
  deletePrincipal(id: string): Promise<Principal | undefined>;
  /** Stores a new secret's hash and bumps the credential generation; undefined when there is no such principal. */
  replaceSecret(id: string, secretHash: string): Promise<Principal | undefined>;
}

/** Small named values the instance keeps about itself (tenant id, sealed signing keys, TLS CA...). */
export interface SettingsReader {
  getSetting(name: string): Promise<string | undefined>;
}
export interface SettingsRepository extends SettingsReader {
  /** Stores the value unless the name is already set; returns the value that is stored now. */
  putSettingIfAbsent(name: string, value: string): Promise<string>;
  putSetting(name: string, value: string): Promise<void>;
  /**
   * Replaces the value only if it is still `expected` (compare-and-set); false when it changed meanwhile. Of two
   * units replacing the same value at once, exactly one succeeds.
   */
  replaceSetting(name: string, expected: string, value: string): Promise<boolean>;
}

export interface JobReader {
  getJob(name: string): Promise<JobRecord | undefined>;
}
export interface JobRepository extends JobReader {
  /**
   * Takes the job's lease for `holder` until `until` when the job is due (no next run recorded, or it is not
   * later than `now`) and the lease is free, expired or already held by `holder`; true when `holder` holds it
   * now. Two nodes asking at once, or one after the other ran the job: exactly one run. `evenIfNotDue` skips the
   * schedule check (an operator's `strongroom jobs run`), never the lease check.
   */
  tryAcquireLease(name: string, holder: string, now: IntDate, until: IntDate, options?: { evenIfNotDue?: boolean | undefined }): Promise<boolean>;
  /** Records a finished run and gives the lease up; ignored unless `holder` holds the lease. */
  recordRun(name: string, holder: string, run: JobRun): Promise<boolean>;
}

/** Local RBAC: custom role definitions (built-in ones are code, not rows) and role assignments. */
export interface RoleReader {
  getRoleDefinition(name: string): Promise<RoleDefinition | undefined>;
  listRoleDefinitions(): Promise<RoleDefinition[]>;
  getRoleAssignment(name: string): Promise<RoleAssignment | undefined>;
  /** Every assignment, or a principal's, ordered by name. */
  listRoleAssignments(filter?: { principalId?: string | undefined }): Promise<RoleAssignment[]>;
}
export interface RoleRepository extends RoleReader {
  /**
   * Creates or replaces a custom role definition; given `maxCustom`, a new one that would make more than that
   * many is refused (`limit-reached`, nothing written), checked under a lock as key additions are.
   */
  putRoleDefinition(definition: RoleDefinition, maxCustom?: number): Promise<'stored' | 'limit-reached'>;
  deleteRoleDefinition(name: string): Promise<RoleDefinition | undefined>;
  /**
   * `duplicate`: the principal already has this role at this scope (under another assignment name);
   * `limit-reached`: the scope already has `maxAtScope` assignments (checked under a lock).
   */
  addRoleAssignment(assignment: RoleAssignment, maxAtScope?: number): Promise<'added' | 'name-taken' | 'duplicate' | 'limit-reached'>;
  deleteRoleAssignment(name: string): Promise<RoleAssignment | undefined>;
  /** Whether any assignment names the role (a role in use cannot be deleted). */
  isRoleAssigned(roleDefinitionName: string): Promise<boolean>;
}

/**
 * The audit log: one hash chain per node process (`domain/audit/`). Each chain has exactly one writer, so
 * appends never contend across nodes; within a process, appends of concurrent units are serialized by the chain's
 * head (a row lock where the backend has them), and a unit that rolls back leaves the chain as it was.
 */
export interface AuditReader {
  /** Every chain's head (its last record as the chain row records it), ordered by chain id. */
  listAuditChains(): Promise<AuditChainHead[]>;
  /** A chain's records from `afterSeq + 1` on, in sequence order, at most `limit`. */
  listAuditRecords(chainId: string, afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** Records matching the query, ordered by time, then chain and sequence. */
  queryAuditRecords(query: AuditQuery): Promise<AuditRecord[]>;
}
export interface AuditRepository extends AuditReader {
  /**
   * Appends to a chain (creating it when new): `build` gets the chain's head (undefined for a new chain) and
   * returns the records that continue it (seq = head.seq + 1…, the first one's prevHash = head.hash). The head
   * is held for the rest of the unit, so no other unit appends to the chain until this one ends.
   */
  appendAuditRecords(chainId: string, build: (head: AuditChainHead | undefined) => readonly AuditRecord[]): Promise<void>;
}

/**
 * Rotation policies, one per key name (they outlive versions; soft-deleted and purged with the key), and the
 * scheduler's marks on them: which version it last rotated away from and which it last notified, each taken by a
 * compare-and-set so that two schedulers racing (or a retried unit) do it once.
 */
export interface RotationPolicyReader {
  /** The policy of an active key; undefined when there is none (or the key is deleted or missing). */
  getRotationPolicy(name: string): Promise<StoredRotationPolicy | undefined>;
  /**
   * Active keys whose policy has at least one action, with their latest version's times, ordered by lower-cased
   * name (`after` = the previous page's last lower-cased name). A query over policies: no key material is read.
   */
  listRotationCandidates(page: PageRequest): Promise<Page<RotationCandidate>>;
}
export interface RotationPolicyRepository extends RotationPolicyReader {
  /** Creates or replaces the policy of an active key (keeping `created` and the marks); undefined when there is no such key. */
  putRotationPolicy(name: string, policy: RotationPolicy, now: IntDate): Promise<StoredRotationPolicy | undefined>;
  /** Marks `fromVersion` as rotated away from; false when it already was (or the key has no policy). */
  claimRotation(name: string, fromVersion: string): Promise<boolean>;
  /** Marks `version` as notified near its expiry; false when it already was (or the key has no policy). */
  claimNotification(name: string, version: string): Promise<boolean>;
}

/** The outbox of key events for the webhook (`domain/events/`). */
export interface KeyEventReader {
  /** Pending events whose next attempt is due by `now`, oldest first. */
  listPendingKeyEvents(now: IntDate, limit: number): Promise<KeyEventRecord[]>;
  getKeyEvent(id: string): Promise<KeyEventRecord | undefined>;
}
export interface KeyEventRepository extends KeyEventReader {
  /** Adds a pending event, due at once. */
  addKeyEvent(event: { id: string; time: IntDate; body: string }): Promise<void>;
  /** Records an attempt's outcome; false (nothing changed) unless the event is still pending. */
  recordKeyEventAttempt(id: string, attempt: KeyEventAttempt): Promise<boolean>;
}

export interface Readers {
  keys: KeyReader;
  secrets: SecretReader;
  audit: AuditReader;
  roles: RoleReader;
  principals: PrincipalReader;
  settings: SettingsReader;
  jobs: JobReader;
  rotationPolicies: RotationPolicyReader;
  keyEvents: KeyEventReader;
}

export interface UnitOfWork {
  keys: KeyRepository;
  secrets: SecretRepository;
  audit: AuditRepository;
  roles: RoleRepository;
  principals: PrincipalRepository;
  settings: SettingsRepository;
  jobs: JobRepository;
  rotationPolicies: RotationPolicyRepository;
  keyEvents: KeyEventRepository;
  /** Runs `callback` once the unit has committed (never if it rolls back): cache invalidation, notifications. */
  afterCommit(callback: () => void): void;
}

export interface TransactionOptions {
  /**
   * The unit may be acknowledged before it is durable: a crash of the machine or of the database server (not of
   * this process) may lose it, whole, never half of it. SQLite commits it without fsync (`synchronous = NORMAL`
   * in WAL mode: it is durable at the next full commit or checkpoint); PostgreSQL with `synchronous_commit = off`.
   * For the audit log's buffered records, which a crash may lose anyway; never for a write the caller acknowledges.
   */
  relaxedDurability?: boolean | undefined;
}

export interface Store {
  /** Which backend this is, for diagnostics. */
  readonly backend: string;
  readonly reader: Readers;
  transaction<T>(work: (unit: UnitOfWork) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Resolves when the store answers a trivial query now; rejects (StoreBusyError) when it cannot be reached. */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}
