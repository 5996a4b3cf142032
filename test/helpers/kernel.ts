/**
 * A kernel for domain tests: any store, a fresh activated security domain (its roots unlocked), the production
 * authorizer, an audit sink that keeps what it is given, and a clock the test moves.
 */
import { randomBytes } from 'node:crypto';
import type { AuditEvent, AuditSink } from '../../src/domain/kernel/audit.ts';
import type { InstanceAttestation } from '../../src/custody/instance-attestation.ts';
import { createKeyEvents, type KeyEvents } from '../../src/domain/events/key-events.ts';
import { AttestationAuthorities } from '../../src/domain/identity/attestation-authorities.ts';
import { MANAGED_HSM_OBJECT_LIMITS, type ObjectLimits } from '../../src/domain/limits/object-limits.ts';
import { SYSTEM_ACTIONS } from '../../src/server/services.ts';
import type { CallerContext } from '../../src/domain/kernel/context.ts';
import { BackupRunner } from '../../src/domain/backup/backup-runner.ts';
import { Kernel } from '../../src/domain/kernel/kernel.ts';
import { BUILT_IN_ROLE_NAMES } from '../../src/domain/rbac/built-in-roles.ts';
import { RbacAuthorizer } from '../../src/domain/rbac/rbac-authorizer.ts';
import type { RoleAssignment } from '../../src/domain/rbac/role-model.ts';
import { OperationMetrics } from '../../src/domain/kernel/metrics.ts';
import { Custody } from '../../src/custody/custody.ts';
import { domainKeyFromBytes } from '../../src/custody/domain-key.ts';
import { symmetricUnsealProvider } from '../../src/custody/unseal/symmetric-unseal.ts';
import { DOMAIN_KEY_CONTEXT } from '../../src/custody/unseal/unseal-provider.ts';
import { sealingKey } from '../../src/keystore/sealing-key.ts';
import { Keystore } from '../../src/keystore/keystore.ts';
import { RootOfTrust } from '../../src/keystore/root-of-trust.ts';
import type { RoleReader, Store } from '../../src/storage/store.ts';

export class RecordingAudit implements AuditSink {
  readonly events: Array<{ event: AuditEvent; inUnit: boolean }> = [];

  async record(event: AuditEvent, unit?: unknown): Promise<void> {
    this.events.push({ event, inUnit: unit !== undefined });
  }
}

/** A security domain held in memory, activated unless asked otherwise, with its own roots of trust. */
export function testCustody(store: Store, options: { activated?: boolean } = {}): Custody {
  const wrappingKey = randomBytes(32);
  const provider = symmetricUnsealProvider('env', wrappingKey, 'a test unseal key');
  const keyBytes = randomBytes(32);
  const domain = domainKeyFromBytes(keyBytes);
  const sealer = sealingKey(wrappingKey);
  const wrapped = { provider: 'env' as const, wrappingKeyId: sealer.id, wrapped: sealer.seal(keyBytes, DOMAIN_KEY_CONTEXT).toString('base64') };
  const record = { version: 1 as const, domainId: domain.id, key: wrapped, activated: options.activated ?? true };
  const roots = { nodeIdentity: new RootOfTrust('node-identity'), keyMaterial: new RootOfTrust('key-material'), backup: new RootOfTrust('backup') };
  return new Custody({ store, provider, domain, record, roots });
}

/** What a test kernel uses when the test gives no attestation identity: refuses every use. */
const NO_ATTESTATION: InstanceAttestation = {
  rootCertificatePem: '',
  chainPem: [],
  signJws: () => { throw new Error('this test kernel has no instance attestation (pass options.attestation)'); },
};

export interface TestKernelOptions {
  retentionDays?: number;
  root?: RootOfTrust;
  activated?: boolean;
  attestation?: InstanceAttestation;
  attestationAuthorities?: AttestationAuthorities;
  events?: KeyEvents;
  limits?: ObjectLimits;
}

export function kernelFor(store: Store, options: TestKernelOptions = {}) {
  const clock = { now: 1_800_000_000 };
  const custody = testCustody(store, { activated: options.activated ?? true });
  // A root the test passes stays as the test set it (locked, say); otherwise the domain's own, unlocked.
  const root = options.root ?? custody.roots.keyMaterial;
  const audit = new RecordingAudit();
  const metrics = new OperationMetrics();
  const keystore = new Keystore(root);
  const authorizer = new RbacAuthorizer({ roles: withTestAdministrator(store.reader.roles), systemActions: SYSTEM_ACTIONS });
  const kernel = new Kernel({
    store,
    env: {
      keystore,
      retentionDays: options.retentionDays ?? 90,
      custody,
      backups: new BackupRunner({ store, custody, keystore, clock: () => clock.now }),
      attestation: options.attestation ?? NO_ATTESTATION,
      attestationAuthorities: options.attestationAuthorities ?? new AttestationAuthorities({ authorities: [] }),
      events: options.events ?? createKeyEvents({}),
      limits: options.limits ?? MANAGED_HSM_OBJECT_LIMITS,
      authorization: { changed: () => authorizer.changed(), principalChanged: () => {} },
    },
    authorizer,
    audit,
    metrics,
  });
  const admin: CallerContext = {
    caller: { id: 'admin-principal', kind: 'service-principal' },
    channel: 'cli',
    requestId: 'test-request',
    clock: () => clock.now,
  };
  return { kernel, clock, admin, audit, metrics, keystore, root, custody };
}

/** The test caller `admin-principal` holds the first administrator's three roles at `/`, as on a real instance. */
function withTestAdministrator(roles: RoleReader): RoleReader {
  const administrator: RoleAssignment[] = Object.values(BUILT_IN_ROLE_NAMES).map((role, index) => ({
    name: `00000000-0000-4000-8000-00000000000${index}`,
    scope: '/',
    roleDefinitionName: role,
    principalId: 'admin-principal',
  }));
  return {
    getRoleDefinition: (name) => roles.getRoleDefinition(name),
    listRoleDefinitions: () => roles.listRoleDefinitions(),
    getRoleAssignment: (name) => roles.getRoleAssignment(name),
    listRoleAssignments: async (filter) =>
      filter?.principalId === 'admin-principal' ? administrator : roles.listRoleAssignments(filter),
  };
}
