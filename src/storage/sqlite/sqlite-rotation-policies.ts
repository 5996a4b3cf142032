/** Rotation policies and the scheduler's marks on SQLite (`key_rotation_policies`); units serialize the claims. */
import type { RotationCandidate, RotationPolicy, StoredRotationPolicy } from '../../domain/keys/rotation-policy.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { CANDIDATE_COLUMNS, CANDIDATES_FROM, candidateFromRow, storedPolicyFromRow, type CandidateRow, type PolicyRow } from '../rotation-rows.ts';
import type { Page, PageRequest, RotationPolicyRepository } from '../store.ts';
import type { SqliteConnection } from './connection.ts';

export class SqliteRotationPolicies implements RotationPolicyRepository {
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  async getRotationPolicy(name: string): Promise<StoredRotationPolicy | undefined> {
    const row = this.#connection
      .statement(
        `SELECT k.name, p.policy, p.created, p.updated FROM key_rotation_policies p
         JOIN keys k ON k.name_lc = p.name_lc AND k.deleted_date IS NULL WHERE p.name_lc = ?`,
      )
      .get(name.toLowerCase()) as PolicyRow | undefined;
    return row && storedPolicyFromRow(row);
  }

  async listRotationCandidates(page: PageRequest): Promise<Page<RotationCandidate>> {
    const rows = this.#connection
      .statement(`SELECT ${CANDIDATE_COLUMNS} ${CANDIDATES_FROM} WHERE p.action_count > 0 AND p.name_lc > ? ORDER BY p.name_lc LIMIT ?`)
      .all(page.after ?? '', page.limit + 1) as unknown as CandidateRow[];
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return rows.length > page.limit && last !== undefined ? { items: items.map(candidateFromRow), next: last.name_lc } : { items: items.map(candidateFromRow) };
  }

  async putRotationPolicy(name: string, policy: RotationPolicy, now: IntDate): Promise<StoredRotationPolicy | undefined> {
    const nameLc = name.toLowerCase();
    const active = this.#connection.statement('SELECT 1 FROM keys WHERE name_lc = ? AND deleted_date IS NULL').get(nameLc);
    if (active === undefined) return undefined;
    this.#connection
      .statement(
        `INSERT INTO key_rotation_policies (name_lc, policy, action_count, created, updated) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name_lc) DO UPDATE SET policy = excluded.policy, action_count = excluded.action_count, updated = excluded.updated`,
      )
      .run(nameLc, JSON.stringify(policy), policy.lifetimeActions.length, now, now);
    return this.getRotationPolicy(name);
  }

  async claimRotation(name: string, fromVersion: string): Promise<boolean> {
    return this.#claim('rotated_from', name, fromVersion);
  }

  async claimNotification(name: string, version: string): Promise<boolean> {
    return this.#claim('notified_version', name, version);
  }

  #claim(column: 'rotated_from' | 'notified_version', name: string, version: string): boolean {
    const changed = this.#connection
      .statement(`UPDATE key_rotation_policies SET ${column} = :version WHERE name_lc = :name AND ${column} IS NOT :version`)
      .run({ name: name.toLowerCase(), version }).changes;
    return Number(changed) > 0;
  }
}
