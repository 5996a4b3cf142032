/**
 * The authorization decision every operation passes before it runs: may this caller perform this data action at
 * this scope? Local RBAC decides it (`domain/rbac/rbac-authorizer.ts`): role assignments for service principals,
 * the scheduled jobs' few actions for the system caller, nothing for anyone else (deny by default).
 */
import type { DataAction } from '../rbac/data-actions.ts';
import type { CallerContext } from './context.ts';

export interface Authorizer {
  /** Throws 403 Forbidden (inner ForbiddenByRbac) when the caller may not. */
  authorize(context: CallerContext, dataAction: DataAction, scope: string): Promise<void>;
}
