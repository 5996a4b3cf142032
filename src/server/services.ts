/** Wires an opened instance into the domain services the HTTP app calls. */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { AppServices } from '../app.ts';
import type { Config } from '../config/config.ts';
import { TokenService } from '../domain/identity/token-service.ts';
import { KeyService } from '../domain/keys/key-service.ts';
import { KeyOperations } from '../domain/operations/key-operations.ts';
import { Keystore } from '../keystore/keystore.ts';
import { nowIntDate } from '../lib/intdate.ts';
import type { Instance } from './instance.ts';

export function buildServices(instance: Instance, config: Config, servedCertificatePem: string): AppServices {
  const keystore = new Keystore(instance.kek);
  const certificate = new X509Certificate(servedCertificatePem);
  return {
    keys: new KeyService({ store: instance.store, keystore, retentionDays: config.retentionDays, now: nowIntDate }),
    operations: new KeyOperations({ store: instance.store, keystore, now: nowIntDate }),
    tokens: new TokenService({
      signingKey: instance.signingKey,
      tenantId: instance.tenantId,
      lifetimeSeconds: config.tokenLifetimeSeconds,
      isOwnHost: (hostname) =>
        (isIP(hostname) === 0 ? certificate.checkHost(hostname) : certificate.checkIP(hostname)) !== undefined,
    }),
    principals: instance.store,
  };
}
