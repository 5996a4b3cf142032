/**
 * A declared operation: everything the kernel needs to know to run one data action, in one place.
 *
 *   name        the Azure operation name (`createKey`, `sign`...): a search from the REST spec lands here
 *   dataAction  the local-RBAC data action it needs (routes do not repeat it)
 *   scope       the RBAC scope its input names (`/keys/{name}`, `/keys`, `/`)
 *   keyOp       the key operation (`key_ops` entry) a key must allow for it, if it uses a key
 *   writes      a write runs in a unit of work (and may `prepare` first); a read runs on committed state
 *   audit       the identifiers the audit log records (never payloads)
 *   prepare     work a write needs before its unit opens and that touches no storage lock (key generation)
 *   run         the operation itself
 *   beforeActivation  it also runs while the instance awaits activation (the security-domain ceremony);
 *                every other operation then answers 503
 */
import type { KeyOperation } from '../../crypto/algorithms.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { Custody } from '../../custody/custody.ts';
import type { InstanceAttestation } from '../../custody/instance-attestation.ts';
import type { KeyEvents } from '../events/key-events.ts';
import type { AttestationAuthorities } from '../identity/attestation-authorities.ts';
import type { ObjectLimits } from '../limits/object-limits.ts';
import type { BackupRunner } from '../backup/backup-runner.ts';
import type { Keystore } from '../../keystore/keystore.ts';
import type { Readers, UnitOfWork } from '../../storage/store.ts';
import type { DataAction } from '../rbac/data-actions.ts';
import type { AuditFields } from './audit.ts';
import type { CallerContext } from './context.ts';

/** What operations may use besides storage: the keystore and the service's settings. */
export interface OperationEnvironment {
  readonly keystore: Keystore;
  /** Soft-delete retention (7–90 days). */
  readonly retentionDays: number;
  /** The security domain this node holds: activation, the domain key, its roots of trust. */
  readonly custody: Custody;
  /** Runs the full backups and restores this node started. */
  readonly backups: BackupRunner;
  /** The instance's attestation identity: signs key attestations and released keys. */
  readonly attestation: InstanceAttestation;
  /** The attestation authorities a secure key release trusts (--attestation-authority). */
  readonly attestationAuthorities: AttestationAuthorities;
  /** Where key events (a version near expiry) go besides the audit log: the --event-webhook. */
  readonly events: KeyEvents;
  /** Object limits (keys, versions, roles), checked in the unit that would exceed them. */
  readonly limits: ObjectLimits;
  /** Caches of who may do what: told when a role change, or a principal's deletion or reset, has committed here. */
  readonly authorization: { changed(): void; principalChanged(principalId: string): void };
}

/** One call of an operation: its input, its caller, and the one reading of the clock it decides with. */
export interface OperationCall<I> {
  readonly input: I;
  readonly context: CallerContext;
  readonly now: IntDate;
  readonly env: OperationEnvironment;
}

interface OperationBase<I, O> {
  readonly name: string;
  readonly dataAction: DataAction;
  scope(input: I): string;
  readonly keyOp?: KeyOperation | undefined;
  readonly beforeActivation?: true | undefined;
  /** Identifiers for the audit record; `output` is undefined when the operation failed. */
  audit(input: I, output: O | undefined): AuditFields;
}

export interface ReadOperation<I, O> extends OperationBase<I, O> {
  readonly writes: false;
  run(call: OperationCall<I>, store: Readers): Promise<O>;
}

export interface WriteOperation<I, O, P = undefined> extends OperationBase<I, O> {
  readonly writes: true;
  prepare?(call: OperationCall<I>, store: Readers): Promise<P>;
  run(call: OperationCall<I>, unit: UnitOfWork, prepared: P): Promise<O>;
}

export type Operation<I, O, P = undefined> = ReadOperation<I, O> | WriteOperation<I, O, P>;

/** Declares a read operation (identity function: it only gives the declaration its type). */
export function readOperation<I, O>(operation: Omit<ReadOperation<I, O>, 'writes'>): ReadOperation<I, O> {
  return { ...operation, writes: false };
}

/** Declares a write operation. */
export function writeOperation<I, O, P = undefined>(operation: Omit<WriteOperation<I, O, P>, 'writes'>): WriteOperation<I, O, P> {
  return { ...operation, writes: true };
}
