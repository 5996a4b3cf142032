/**
 * The audit log of one process, as the service wires it: the kernel's sink (`log`, also `sink`), what the HTTP
 * hook needs (`recordRequest`, `takeHandled`, the same object), `flush()` and `close()` for shutdown. The audit key
 * is sealed under the node-identity root of the instance's custody.
 */
import type { Custody } from '../../custody/custody.ts';
import type { Store } from '../../storage/store.ts';
import { AuditLog, type AuditLogOptions } from './audit-log.ts';

export interface CreateAuditLogOptions extends Omit<AuditLogOptions, 'root'> {
  store: Store;
  custody: Pick<Custody, 'roots'>;
}

export interface ProcessAuditLog {
  readonly sink: AuditLog;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createAuditLog(options: CreateAuditLogOptions): ProcessAuditLog {
  const { custody, ...rest } = options;
  const log = new AuditLog({ ...rest, root: custody.roots.nodeIdentity });
  return { sink: log, flush: () => log.flush(), close: () => log.close() };
}
