/**
 * Rotation policies and the scheduler's marks on PostgreSQL (`key_rotation_policies`). A claim is one conditional
 * `UPDATE`: of two units claiming the same version at once, the second waits for the first's row lock, re-checks
 * the condition on the committed row (READ COMMITTED) and changes nothing, so the version is rotated (or
 * notified) once.
 */
import type { RotationCandidate, RotationPolicy, StoredRotationPolicy } from '../../domain/keys/rotation-policy.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { CANDIDATE_COLUMNS, CANDIDATES_FROM, candidateFromRow, storedPolicyFromRow, type CandidateRow, type PolicyRow } from '../rotation-rows.ts';
import type { Page, PageRequest, RotationPolicyRepository } from '../store.ts';
import type { Sql } from './sql.ts';

export class PostgresRotationPolicies implements RotationPolicyRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async getRotationPolicy(name: string): Promise<StoredRotationPolicy | undefined> {
    const [row] = await this.#sql.rows<PolicyRow>(
      `SELECT k.name, p.policy, p.created, p.updated FROM key_rotation_policies p
       JOIN keys k ON k.name_lc = p.name_lc AND k.deleted_date IS NULL WHERE p.name_lc = $1`,
      [name.toLowerCase()],
    );
    return row && storedPolicyFromRow(row);
  }

  async listRotationCandidates(page: PageRequest): Promise<Page<RotationCandidate>> {
    const rows = await this.#sql.rows<CandidateRow>(
      `SELECT ${CANDIDATE_COLUMNS} ${CANDIDATES_FROM} WHERE p.action_count > 0 AND p.name_lc > $1 ORDER BY p.name_lc LIMIT $2`,
      [page.after ?? '', page.limit + 1],
    );
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return rows.length > page.limit && last !== undefined ? { items: items.map(candidateFromRow), next: last.name_lc } : { items: items.map(candidateFromRow) };
  }

  async putRotationPolicy(name: string, policy: RotationPolicy, now: IntDate): Promise<StoredRotationPolicy | undefined> {
    // Only for an active key; the key row is locked so that a delete or purge cannot slip in between.
    const [active] = await this.#sql.rows('SELECT 1 FROM keys WHERE name_lc = $1 AND deleted_date IS NULL FOR SHARE', [name.toLowerCase()]);
    if (active === undefined) return undefined;
    await this.#sql.count(
      `INSERT INTO key_rotation_policies (name_lc, policy, action_count, created, updated) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (name_lc) DO UPDATE SET policy = excluded.policy, action_count = excluded.action_count, updated = excluded.updated`,
      [name.toLowerCase(), JSON.stringify(policy), policy.lifetimeActions.length, now],
    );
    return this.getRotationPolicy(name);
  }

  async claimRotation(name: string, fromVersion: string): Promise<boolean> {
    return this.#claim('rotated_from', name, fromVersion);
  }

  async claimNotification(name: string, version: string): Promise<boolean> {
    return this.#claim('notified_version', name, version);
  }

  async #claim(column: 'rotated_from' | 'notified_version', name: string, version: string): Promise<boolean> {
    const changed = await this.#sql.count(
      `UPDATE key_rotation_policies SET ${column} = $2 WHERE name_lc = $1 AND ${column} IS DISTINCT FROM $2`,
      [name.toLowerCase(), version],
    );
    return changed > 0;
  }
}
