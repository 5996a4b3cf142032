/**
 * The kernel over an instance opened by a command, not by `serve`: the same services (store, keystore, the
 * security domain, audit log) from the same configuration (environment and the data directory), without a
 * listening server. For `strongroom jobs run`. The instance must exist already (a server started it once); the
 * schema is not migrated here.
 *
 * The TLS certificate only matters to the token service (which hosts are ours); offline no token is verified, so
 * the instance CA's certificate stands in for it.
 */
import type { Config } from '../config/config.ts';
import type { Kernel } from '../domain/kernel/kernel.ts';
import type { Store } from '../storage/store.ts';
import { instancePaths, openInstance } from './instance.ts';
import { buildServices } from './services.ts';

export interface OfflineServices {
  kernel: Kernel;
  store: Store;
  close(): Promise<void>;
}

export async function openOfflineServices(config: Config): Promise<OfflineServices> {
  const instance = await openInstance({
    dataDir: config.dataDir,
    store: config.store,
    unseal: { kind: config.unseal, keyFile: config.unsealKeyFile ?? instancePaths(config.dataDir).unsealKey, pkcs11: config.pkcs11 },
    requireActivation: config.requireActivation,
    legacyKekFile: config.legacyKekFile,
    initialize: false,
    // A node serving this data directory then sees the job's commits at once (SQLite's cache coherence).
    beacon: 'offline-writer',
  });
  const services = buildServices(instance, config, instance.certificateAuthority.certificatePem);
  return {
    kernel: services.kernel,
    store: instance.store,
    close: async () => {
      await services.kernel.env.events.close();
      await services.audit?.close();
      await instance.store.close();
    },
  };
}
