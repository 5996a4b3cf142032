/**
 * What the audit log records of every operation, and where it goes. The kernel calls the sink for every
 * operation, allowed or refused, successful or failed; a write operation's event is recorded inside its unit of
 * work, so the record commits with the change it describes or not at all. Until the audit log lands, the sink
 * discards events.
 *
 * An event never carries a payload: no plaintext, ciphertext, digest, signature, key material, secret or token.
 * Operations choose their `fields` from identifiers (key name, version, algorithm) only.
 */
import type { UnitOfWork } from '../../storage/store.ts';
import type { Caller, Channel } from './context.ts';
import type { IntDate } from '../../lib/intdate.ts';

export type AuditFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface AuditEvent {
  readonly time: IntDate;
  readonly operation: string;
  readonly dataAction: string;
  readonly scope: string;
  readonly outcome: 'success' | 'failure';
  /** The wire code of a failure (`Forbidden`, `KeyNotFound`...). */
  readonly errorCode?: string | undefined;
  readonly caller: Caller;
  readonly channel: Channel;
  readonly requestId: string;
  readonly clientRequestId?: string | undefined;
  readonly sourceAddress?: string | undefined;
  /** How long the operation took, up to the moment it is recorded. */
  readonly durationMs?: number | undefined;
  readonly fields: AuditFields;
}

export interface AuditSink {
  /** Records an event; inside `unit` when one is given (it then commits with the unit). */
  record(event: AuditEvent, unit?: UnitOfWork): Promise<void>;
}

export const discardAudit: AuditSink = { record: async () => {} };
