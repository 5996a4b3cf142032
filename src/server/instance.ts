/**
 * An instance's durable identity, read from (and on first start written to) its data directory:
 *
 *   <data-dir>/strongroom.db            SQLite: keys (private parts sealed), principals, settings
 *   <data-dir>/key-encryption-key       the instance KEK, mode 0600 (see keystore/key-encryption-key.ts)
 *   <data-dir>/tls/ca.pem               the local CA certificate clients trust
 *   <data-dir>/admin-credentials.json   the first administrator's credentials, mode 0600
 *
 * The process that starts the service opens the instance with `initialize` (create what is missing, migrate
 * the schema); worker processes open it read-only in that respect.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeAddon } from '../crypto/native.ts';
import { createSigningKey, describeSigningKey, type SigningKey } from '../domain/identity/token-service.ts';
import { loadOrCreateKeyEncryptionKeyFile, type KeyEncryptionKey } from '../keystore/key-encryption-key.ts';
import { SqliteStore } from '../storage/sqlite/sqlite-store.ts';
import { createCertificateAuthority, type CertificateAuthority } from '../tls/certificates.ts';

export interface Instance {
  dataDir: string;
  store: SqliteStore;
  kek: KeyEncryptionKey;
  tenantId: string;
  signingKey: SigningKey;
  certificateAuthority: CertificateAuthority;
}

const SETTINGS = {
  kekFingerprint: 'instance.kek-fingerprint',
  tenantId: 'instance.tenant-id',
  signingKey: 'identity.token-signing-key',
  certificateAuthority: 'tls.certificate-authority',
} as const;

export const instancePaths = (dataDir: string) => ({
  database: join(dataDir, 'strongroom.db'),
  keyEncryptionKey: join(dataDir, 'key-encryption-key'),
  tlsDir: join(dataDir, 'tls'),
  caCertificate: join(dataDir, 'tls', 'ca.pem'),
  adminCredentials: join(dataDir, 'admin-credentials.json'),
});

export async function openInstance(dataDir: string, options: { initialize: boolean }): Promise<Instance> {
  // A missing or stale native crypto addon is a deployment fault: stop now, not at the first signature.
  nativeAddon();
  const paths = instancePaths(dataDir);
  if (existsSync(paths.database) && !existsSync(paths.keyEncryptionKey)) {
    throw new Error(`${paths.keyEncryptionKey} is missing: without it the keys in ${paths.database} cannot be opened; restore it from your backup`);
  }
  if (options.initialize) mkdirSync(paths.tlsDir, { recursive: true, mode: 0o700 });
  const kek = loadOrCreateKeyEncryptionKeyFile(paths.keyEncryptionKey);
  const store = new SqliteStore(paths.database);
  try {
    if (options.initialize) store.migrate();
    const fingerprint = await store.putSettingIfAbsent(SETTINGS.kekFingerprint, kek.fingerprint);
    if (fingerprint !== kek.fingerprint) {
      throw new Error(`${paths.keyEncryptionKey} is not the key-encryption key this database was created with`);
    }
    const tenantId = await settingOrCreate(store, SETTINGS.tenantId, async () => randomUUID());
    const sealedSigningKey = await settingOrCreate(store, SETTINGS.signingKey, async () => {
      const privateKey = createSigningKey().export({ format: 'der', type: 'pkcs8' });
      return kek.seal(privateKey, SETTINGS.signingKey).toString('base64');
    });
    const signingKeyDer = kek.unseal(Buffer.from(sealedSigningKey, 'base64'), SETTINGS.signingKey);
    const signingKey = await describeSigningKey(createPrivateKey({ key: signingKeyDer, format: 'der', type: 'pkcs8' }));
    signingKeyDer.fill(0);
    const caSetting = await settingOrCreate(store, SETTINGS.certificateAuthority, async () =>
      JSON.stringify(await sealedCertificateAuthority(kek)),
    );
    const certificateAuthority = openCertificateAuthority(kek, caSetting);
    if (options.initialize) {
      writeFileSync(paths.caCertificate, certificateAuthority.certificatePem);
      chmodSync(paths.caCertificate, 0o644);
    }
    return {
      dataDir,
      store,
      kek,
      tenantId,
      signingKey,
      certificateAuthority,
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** A setting's value, created (once, even with several processes racing) when it is not set yet. */
async function settingOrCreate(store: SqliteStore, name: string, create: () => Promise<string>): Promise<string> {
  return (await store.getSetting(name)) ?? store.putSettingIfAbsent(name, await create());
}

async function sealedCertificateAuthority(kek: KeyEncryptionKey) {
  const ca = await createCertificateAuthority();
  const sealedPrivateKey = kek.seal(ca.privateKeyDer, SETTINGS.certificateAuthority).toString('base64');
  ca.privateKeyDer.fill(0);
  return { certificatePem: ca.certificatePem, sealedPrivateKey };
}

function openCertificateAuthority(kek: KeyEncryptionKey, setting: string): CertificateAuthority {
  const stored = JSON.parse(setting) as { certificatePem: string; sealedPrivateKey: string };
  return {
    certificatePem: stored.certificatePem,
    privateKeyDer: kek.unseal(Buffer.from(stored.sealedPrivateKey, 'base64'), SETTINGS.certificateAuthority),
  };
}
