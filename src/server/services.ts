/**
 * Wires an opened instance into the services every caller uses: the operation kernel (with its authorizer,
 * audit sink and metrics) over the instance's store and keystore, and the token service.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { AppServices } from '../app.ts';
import { nodeHealth } from '../api/health/health-routes.ts';
import type { Config } from '../config/config.ts';
import { createKeyEvents } from '../domain/events/key-events.ts';
import { AttestationAuthorities } from '../domain/identity/attestation-authorities.ts';
import { ExternalIssuers } from '../domain/identity/external-issuers.ts';
import { TokenService } from '../domain/identity/token-service.ts';
import { createAuditLog } from '../domain/audit/create-audit-log.ts';
import { beaconProbe } from '../storage/change-aware-cache.ts';
import { discardAudit } from '../domain/kernel/audit.ts';
import { OPERATIONS } from '../domain/kernel/catalogue.ts';
import { BackupRunner } from '../domain/backup/backup-runner.ts';
import { Kernel } from '../domain/kernel/kernel.ts';
import { RbacAuthorizer } from '../domain/rbac/rbac-authorizer.ts';
import { OperationMetrics } from '../domain/kernel/metrics.ts';
import { Keystore } from '../keystore/keystore.ts';
import { ServiceThrottle } from '../domain/limits/service-throttle.ts';
import { objectLimitsFor, type ObjectLimits } from '../domain/limits/object-limits.ts';
import type { ThrottleDeps } from '../http/plugins/service-throttle.ts';
import { nowIntDate } from '../lib/intdate.ts';
import type { Instance } from './instance.ts';

/** The system caller runs the scheduled jobs (purge, rotation) and nothing else. */
export const SYSTEM_ACTIONS = [...new Set([
  OPERATIONS.purgeExpiredKeys, OPERATIONS.purgeExpiredSecrets, OPERATIONS.runKeyRotationSchedule, OPERATIONS.rotateKeyOnSchedule, OPERATIONS.notifyKeyNearExpiry, OPERATIONS.deliverKeyEvents,
].map((operation) => operation.dataAction))];

export function buildServices(instance: Instance, config: Config, servedCertificatePem: string): AppServices {
  const certificate = new X509Certificate(servedCertificatePem);
  const { store, custody } = instance;
  const keystore = new Keystore(instance.roots.keyMaterial);
  const backups = new BackupRunner({
    store,
    custody,
    keystore,
    clock: nowIntDate,
    onError: (error) => process.stderr.write(`A backup or restore failed unexpectedly: ${String(error)}\n`),
  });
  const tokens = new TokenService({
    signingKey: instance.signingKey,
    tenantId: instance.tenantId,
    lifetimeSeconds: config.tokenLifetimeSeconds,
    isOwnHost: (hostname) =>
      (isIP(hostname) === 0 ? certificate.checkHost(hostname) : certificate.checkIP(hostname)) !== undefined,
    // A deleted principal, or a token of a credential generation a secret reset replaced, is no longer active.
    isActivePrincipal: async (id, generation) => (await store.reader.principals.getPrincipal(id))?.generation === generation,
    // Each watcher of the beacon has its own probe: a probe remembers what its reader last saw.
    changes: instance.beacon && beaconProbe(instance.beacon),
  });
  const events = createKeyEvents({ webhookUrl: config.eventWebhook });
  // This process's audit chain (domain/audit/): the kernel's sink, and the HTTP hook's (app.ts).
  const audit = config.auditLog ? createAuditLog({ store, custody }) : undefined;
  const authorizer = new RbacAuthorizer({ roles: store.reader.roles, systemActions: SYSTEM_ACTIONS, changes: instance.beacon && beaconProbe(instance.beacon) });
  // A role or principal change is also signalled on the node's change beacon (the store signals only key
  // writes), so that the node's other workers drop what they cached at their next request.
  const accessChanged = () => instance.beacon?.signal();
  const kernel = new Kernel({
    store,
    env: {
      keystore,
      retentionDays: config.retentionDays,
      custody,
      backups,
      attestation: instance.attestation,
      attestationAuthorities: new AttestationAuthorities({ authorities: config.attestationAuthorities }),
      events,
      limits: objectLimitsOf(config),
      authorization: {
        changed: () => {
          authorizer.changed();
          accessChanged();
        },
        principalChanged: (id) => {
          tokens.forgetPrincipal(id);
          accessChanged();
        },
      },
    },
    authorizer,
    audit: audit?.sink ?? discardAudit,
    metrics: new OperationMetrics(),
  });
  return {
    kernel,
    health: () =>
      nodeHealth(store, () => (!custody.isActivated ? 'awaiting-activation' : instance.roots.keyMaterial.isUnsealed ? 'unlocked' : 'locked')),
    clock: nowIntDate,
    tokens,
    externalIssuers: config.trustIssuers.length === 0 ? undefined : new ExternalIssuers({
      issuers: config.trustIssuers,
      audience: config.trustAudience,
      isLocalPrincipal: async (id) => (await store.reader.principals.getPrincipal(id)) !== undefined,
    }),
    principals: store.reader.principals,
    audit,
    managedIdentityKey: () => custody.domain.macKey('managed-identity'),
    throttle: config.throttle === 'off' ? undefined : serviceThrottle(config, store),
  };
}

/** `--throttle keyvault`: this process counts its share of the node's budget (one of `workers` processes). */
function serviceThrottle(config: Config, store: Instance['store']): ThrottleDeps {
  return {
    throttle: new ServiceThrottle({ scale: config.throttleScale, windowSeconds: config.throttleWindowSeconds, share: 1 / config.workers }),
    keyFacts: async (name, version) => {
      const key = await store.reader.keys.getKeyVersion(name, version);
      return key === undefined ? undefined : { family: key.family, keySize: key.keySize };
    },
  };
}

/** The object limits of the configuration: a model's defaults, with --max-keys / --max-versions-per-key over them. */
function objectLimitsOf(config: Config): ObjectLimits {
  const base = objectLimitsFor(config.limits);
  return { ...base, maxKeys: config.maxKeys ?? base.maxKeys, maxVersionsPerKey: config.maxVersionsPerKey ?? base.maxVersionsPerKey };
}
