/**
 * A kernel for domain tests: any store, a fresh unlocked key-material root, the production authorizer, an audit
 * sink that keeps what it is given, and a clock the test moves.
 */
import { randomBytes } from 'node:crypto';
import type { AuditEvent, AuditSink } from '../../src/domain/kernel/audit.ts';
import { AdministratorsOnly } from '../../src/domain/kernel/authorizer.ts';
import { OPERATIONS } from '../../src/domain/kernel/catalogue.ts';
import type { CallerContext } from '../../src/domain/kernel/context.ts';
import { Kernel } from '../../src/domain/kernel/kernel.ts';
import { OperationMetrics } from '../../src/domain/kernel/metrics.ts';
import { keyEncryptionKeyFromBytes, unlockWithKek } from '../../src/keystore/key-encryption-key.ts';
import { Keystore } from '../../src/keystore/keystore.ts';
import { RootOfTrust } from '../../src/keystore/root-of-trust.ts';
import type { Store } from '../../src/storage/store.ts';

export class RecordingAudit implements AuditSink {
  readonly events: Array<{ event: AuditEvent; inUnit: boolean }> = [];

  async record(event: AuditEvent, unit?: unknown): Promise<void> {
    this.events.push({ event, inUnit: unit !== undefined });
  }
}

export function kernelFor(store: Store, options: { retentionDays?: number; root?: RootOfTrust } = {}) {
  const clock = { now: 1_800_000_000 };
  const root = options.root ?? new RootOfTrust('key-material');
  if (options.root === undefined) unlockWithKek(root, keyEncryptionKeyFromBytes(randomBytes(32)), 'key-material');
  const audit = new RecordingAudit();
  const metrics = new OperationMetrics();
  const keystore = new Keystore(root);
  const kernel = new Kernel({
    store,
    env: { keystore, retentionDays: options.retentionDays ?? 90 },
    authorizer: new AdministratorsOnly([OPERATIONS.purgeExpiredKeys.dataAction]),
    audit,
    metrics,
  });
  const admin: CallerContext = {
    caller: { id: 'admin-principal', kind: 'service-principal' },
    channel: 'cli',
    requestId: 'test-request',
    clock: () => clock.now,
  };
  return { kernel, clock, admin, audit, metrics, keystore, root };
}
