/** Rows of `key_rotation_policies` (with the latest version's times) and `key_events`, as both databases return them. */
import type { KeyEventRecord, KeyEventStatus } from '../domain/events/key-event-record.ts';
import type { RotationCandidate, RotationPolicy, StoredRotationPolicy } from '../domain/keys/rotation-policy.ts';

export interface PolicyRow {
  name: string;
  /** JSON text on SQLite, parsed JSON on PostgreSQL. */
  policy: string | RotationPolicy;
  created: number;
  updated: number;
}

export interface CandidateRow extends PolicyRow {
  name_lc: string;
  rotated_from: string | null;
  notified_version: string | null;
  version: string;
  version_created: number;
  exp: number | null;
}

export interface KeyEventRow {
  id: string;
  time: number;
  body: string;
  status: string;
  attempts: number;
  next_attempt: number;
  last_error: string | null;
  delivered_at: number | null;
}

/** The SQL both backends select candidates with (`:after`/`:limit` spelled per backend by the caller). */
export const CANDIDATES_FROM = `
  FROM key_rotation_policies p
  JOIN keys k ON k.name_lc = p.name_lc AND k.deleted_date IS NULL
  JOIN key_versions v ON v.seq = (SELECT MAX(seq) FROM key_versions WHERE name_lc = p.name_lc)`;
export const CANDIDATE_COLUMNS = `p.name_lc, k.name, p.policy, p.created, p.updated, p.rotated_from, p.notified_version,
  v.version, v.created AS version_created, v.exp`;

function policyOf(value: string | RotationPolicy): RotationPolicy {
  return typeof value === 'string' ? (JSON.parse(value) as RotationPolicy) : value;
}

export function storedPolicyFromRow(row: PolicyRow): StoredRotationPolicy {
  return { name: row.name, policy: policyOf(row.policy), created: Number(row.created), updated: Number(row.updated) };
}

export function candidateFromRow(row: CandidateRow): RotationCandidate {
  return {
    name: row.name,
    policy: policyOf(row.policy),
    latest: { version: row.version, created: Number(row.version_created), exp: row.exp === null ? undefined : Number(row.exp) },
    rotatedFrom: row.rotated_from ?? undefined,
    notifiedVersion: row.notified_version ?? undefined,
  };
}

export function keyEventFromRow(row: KeyEventRow): KeyEventRecord {
  return {
    id: row.id,
    time: Number(row.time),
    body: row.body,
    status: row.status as KeyEventStatus,
    attempts: Number(row.attempts),
    nextAttempt: Number(row.next_attempt),
    lastError: row.last_error ?? undefined,
    deliveredAt: row.delivered_at === null ? undefined : Number(row.delivered_at),
  };
}
