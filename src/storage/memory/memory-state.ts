/**
 * The in-memory store's state. Every value in it is treated as immutable: a change replaces the entry (and the
 * records in it) instead of mutating it, so cloning the state for a unit of work is a shallow copy of the maps.
 */
import type { DeletionInfo, KeyVersion } from '../../domain/keys/key-model.ts';
import type { Principal } from '../../domain/principals/principal-model.ts';
import type { JobRecord } from '../../jobs/job-model.ts';
import type { RoleAssignment, RoleDefinition } from '../../domain/rbac/role-model.ts';
import type { AuditChainHead, AuditRecord } from '../../domain/audit/audit-record.ts';
import type { KeyEventRecord } from '../../domain/events/key-event-record.ts';
import type { RotationPolicy } from '../../domain/keys/rotation-policy.ts';
import type { SecretVersion } from '../../domain/secrets/secret-model.ts';

/** A key's rotation policy and the scheduler's marks, keyed by the lower-cased key name. */
export interface PolicyEntry {
  readonly policy: RotationPolicy;
  readonly created: number;
  readonly updated: number;
  readonly rotatedFrom?: string | undefined;
  readonly notifiedVersion?: string | undefined;
}

export interface StoredVersion {
  readonly seq: number;
  /** The version id, lower-cased, as lookups compare it. */
  readonly version: string;
  readonly record: KeyVersion;
}

export interface KeyEntry {
  readonly name: string;
  readonly deletion: DeletionInfo | undefined;
  readonly versions: readonly StoredVersion[];
}

/** A secret, keyed by its lower-cased name: the same shape as a key's entry. */
export interface SecretEntry {
  readonly name: string;
  readonly deletion: DeletionInfo | undefined;
  readonly versions: ReadonlyArray<{ readonly seq: number; readonly version: string; readonly record: SecretVersion }>;
}

export interface MemoryState {
  keys: Map<string, KeyEntry>;
  secrets: Map<string, SecretEntry>;
  principals: Map<string, Principal>;
  settings: Map<string, string>;
  jobs: Map<string, JobRecord>;
  roleDefinitions: Map<string, RoleDefinition>;
  roleAssignments: Map<string, RoleAssignment>;
  /** The audit chains: each chain's records in sequence order (append-only arrays, replaced on change), and heads. */
  auditRecords: Map<string, readonly AuditRecord[]>;
  auditHeads: Map<string, AuditChainHead>;
  rotationPolicies: Map<string, PolicyEntry>;
  keyEvents: Map<string, KeyEventRecord>;
  seq: number;
}

export function emptyState(): MemoryState {
  return { keys: new Map(), secrets: new Map(), principals: new Map(), settings: new Map(), jobs: new Map(), roleDefinitions: new Map(), roleAssignments: new Map(), auditRecords: new Map(), auditHeads: new Map(), rotationPolicies: new Map(), keyEvents: new Map(), seq: 0 };
}

export function cloneState(state: MemoryState): MemoryState {
  return {
    keys: new Map(state.keys),
    secrets: new Map(state.secrets),
    principals: new Map(state.principals),
    settings: new Map(state.settings),
    jobs: new Map(state.jobs),
    roleDefinitions: new Map(state.roleDefinitions),
    roleAssignments: new Map(state.roleAssignments),
    auditRecords: new Map(state.auditRecords),
    auditHeads: new Map(state.auditHeads),
    rotationPolicies: new Map(state.rotationPolicies),
    keyEvents: new Map(state.keyEvents),
    seq: state.seq,
  };
}
