/**
 * The authorization decision every operation passes before it runs: may this caller perform this data action at
 * this scope? Local RBAC (role assignments) will decide it; until then the rule is that every authenticated
 * service principal is an administrator (there is only the first administrator), and the system caller may
 * perform what the scheduled jobs need. Anything else is refused: deny by default.
 */
import { forbidden } from '../../errors/errors.ts';
import type { DataAction } from '../rbac/data-actions.ts';
import type { CallerContext } from './context.ts';

export interface Authorizer {
  /** Throws 403 Forbidden (inner ForbiddenByRbac) when the caller may not. */
  authorize(context: CallerContext, dataAction: DataAction, scope: string): Promise<void>;
}

export class AdministratorsOnly implements Authorizer {
  readonly #systemActions: ReadonlySet<DataAction>;

  constructor(systemActions: readonly DataAction[]) {
    this.#systemActions = new Set(systemActions);
  }

  async authorize(context: CallerContext, dataAction: DataAction, scope: string): Promise<void> {
    const { caller } = context;
    if (caller.kind === 'service-principal' && caller.id !== '') return;
    if (caller.kind === 'system' && this.#systemActions.has(dataAction)) return;
    throw forbidden(
      `Caller is not authorized to perform action on resource. Caller: ${caller.id}; Action: ${dataAction}; Scope: ${scope}.`,
      'ForbiddenByRbac',
    );
  }
}
