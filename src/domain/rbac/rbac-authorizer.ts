/**
 * The authorizer of local RBAC: a service principal may perform a data action at a scope when its role
 * assignments allow it (role-evaluation.ts); the system caller may perform what the scheduled jobs need.
 * Anything else is refused with Key Vault's 403 (`ForbiddenByRbac`), before the operation reads anything, so a
 * refusal says nothing about whether the key exists.
 *
 * On the hot path a principal's assignments and the custom role definitions come from a cache that is at most
 * RBAC_CACHE_SECONDS old: a role change made on another node of a cluster takes effect within that bound; one
 * made on this node, at once. In the process that made it the role operations call `changed()` after they
 * commit (and a read that was under way then is not cached); the node's other workers see the commit on the
 * node's change beacon (`changes`) at their next request and forget what they cached.
 */
import { forbidden } from '../../errors/errors.ts';
import type { ChangeProbe } from '../../storage/change-aware-cache.ts';
import type { RoleReader } from '../../storage/store.ts';
import type { Authorizer } from '../kernel/authorizer.ts';
import type { CallerContext } from '../kernel/context.ts';
import type { DataAction } from './data-actions.ts';
import { builtInRole } from './built-in-roles.ts';
import { isAllowed } from './role-evaluation.ts';
import type { RoleAssignment, RoleDefinition } from './role-model.ts';

/** The documented bound on how long a role change on another node takes to apply here. */
export const RBAC_CACHE_SECONDS = 2;
const MAX_CACHED_PRINCIPALS = 10_000;
const MAX_CACHED_DECISIONS = 100_000;

interface Cached<T> {
  value: T;
  loadedAt: number;
}

export class RbacAuthorizer implements Authorizer {
  readonly #roles: RoleReader;
  readonly #systemActions: ReadonlySet<DataAction>;
  readonly #now: () => number;
  readonly #assignments = new Map<string, Cached<RoleAssignment[]>>();
  #definitions: Cached<Map<string, RoleDefinition>> | undefined;
  readonly #decisions = new Map<string, Cached<boolean>>();
  readonly #changes: ChangeProbe | undefined;
  /** Bumped by `changed()`: what a read begun before it returns is used once and not kept. */
  #generation = 0;

  constructor(options: { roles: RoleReader; systemActions: readonly DataAction[]; now?: () => number; changes?: ChangeProbe | undefined }) {
    this.#roles = options.roles;
    this.#changes = options.changes;
    this.#systemActions = new Set(options.systemActions);
    this.#now = options.now ?? (() => performance.now() / 1000);
  }

  async authorize(context: CallerContext, dataAction: DataAction, scope: string): Promise<void> {
    const { caller } = context;
    if (caller.kind === 'system' && this.#systemActions.has(dataAction)) return;
    if (this.#changes?.changedSinceLastCall() === true) this.changed();
    if (caller.kind === 'service-principal' && caller.id !== '' && (await this.#allows(caller.id, dataAction, scope))) return;
    throw forbidden(
      'Caller is not authorized to perform action on resource.\r\n' +
        'If role assignments or role definitions were changed recently, please observe propagation time.\r\n' +
        `Caller: oid=${caller.id}\r\nAction: '${dataAction}'\r\nResource: '${scope}'\r\n` +
        "Assignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'",
      'ForbiddenByRbac',
    );
  }

  /** Forgets what is cached: a role change committed here (or seen on the beacon) applies to the next request. */
  changed(): void {
    this.#generation += 1;
    this.#assignments.clear();
    this.#definitions = undefined;
    this.#decisions.clear();
  }

  /**
   * The decision for (principal, action, scope): the hot path asks the same question for every request of a
   * client, so the answer is kept as long as the assignments it was made from (same freshness bound).
   */
  async #allows(principalId: string, dataAction: DataAction, scope: string): Promise<boolean> {
    const question = `${principalId}\n${dataAction}\n${scope}`;
    const known = this.#decisions.get(question);
    if (known !== undefined && this.#fresh(known)) return known.value;
    const generation = this.#generation;
    const cached = this.#assignments.get(principalId);
    const assignments = cached !== undefined && this.#fresh(cached) ? cached.value : await this.#assignmentsOf(principalId);
    const definitions = this.#definitions !== undefined && this.#fresh(this.#definitions) ? this.#definitions.value : await this.#customDefinitions();
    const allowed = isAllowed(assignments, (name) => builtInRole(name) ?? definitions.get(name), dataAction, scope);
    if (generation !== this.#generation) return allowed;
    // The decision is as old as the oldest cache it came from.
    const loadedAt = Math.min(this.#assignments.get(principalId)?.loadedAt ?? this.#now(), this.#definitions?.loadedAt ?? this.#now());
    if (this.#decisions.size >= MAX_CACHED_DECISIONS) this.#decisions.clear();
    this.#decisions.set(question, { value: allowed, loadedAt });
    return allowed;
  }

  // Both loads stamp the time they began (the data is at least that old) and keep nothing when `changed()` came
  // while they waited: the read may predate the change it was told of.
  async #assignmentsOf(principalId: string): Promise<RoleAssignment[]> {
    const generation = this.#generation;
    const loadedAt = this.#now();
    const value = await this.#roles.listRoleAssignments({ principalId });
    if (generation !== this.#generation) return value;
    if (this.#assignments.size >= MAX_CACHED_PRINCIPALS) this.#assignments.clear();
    this.#assignments.set(principalId, { value, loadedAt });
    return value;
  }

  async #customDefinitions(): Promise<Map<string, RoleDefinition>> {
    const generation = this.#generation;
    const loadedAt = this.#now();
    const value = new Map((await this.#roles.listRoleDefinitions()).map((definition) => [definition.name, definition]));
    if (generation === this.#generation) this.#definitions = { value, loadedAt };
    return value;
  }

  #fresh(cached: Cached<unknown>): boolean {
    return this.#now() - cached.loadedAt < RBAC_CACHE_SECONDS;
  }
}
