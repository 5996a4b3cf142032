/**
 * An instance's durable identity, read from (and on first start written to) its data directory:
 *
 *   <data-dir>/strongroom.db            SQLite: keys (private parts sealed), principals, settings, jobs, and the
 *                                       domain key wrapped by the unseal provider (custody/sealed-domain.ts)
 *   <data-dir>/unseal-key               the `file` unseal provider's wrapping key, mode 0600 (custody/unseal/)
 *   <data-dir>/tls/ca.pem               the local CA certificate clients trust, mode 0644
 *   <data-dir>/admin-credentials.json   the first administrator's credentials, mode 0600
 *   <data-dir>/strongroom.changes       the node's change beacon (see storage/change-beacon.ts)
 *
 * With `--store postgres://…` the database is shared by the nodes of a cluster: the first node creates the
 * shared state (security domain, tenant, token-signing key, CA, first administrator) and the others read it. The
 * unseal key is never in the database: every node has a copy of the file (or the same environment variable, or
 * the same PKCS#11 token).
 *
 * Every one of these files is written atomically and only when its content changes (lib/atomic-file.ts), and a
 * start refuses a data directory that is unsafe or half-made before it opens anything
 * (data-directory-checks.ts).
 *
 * The roots of trust come out of the domain key (custody/custody.ts): `node-identity` (the token-signing key and
 * the TLS CA key are sealed under it) at once, `key-material` and `backup` once the instance is activated.
 *
 * The process that starts the service opens the instance with `initialize` (create what is missing, migrate
 * the schema); worker processes open it read-only in that respect.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nativeAddon } from '../crypto/native.ts';
import { createSigningKey, describeSigningKey, type SigningKey } from '../domain/identity/token-service.ts';
import { Custody } from '../custody/custody.ts';
import { NODE_IDENTITY_SETTINGS } from '../custody/node-identity-settings.ts';
import { assertHeldBy, openSealedDomain, readDomainRecord } from '../custody/sealed-domain.ts';
import { openUnsealProvider, type UnsealSettings } from '../custody/unseal/open-unseal-provider.ts';
import { writeFileAtomically } from '../lib/atomic-file.ts';
import { RootOfTrust } from '../keystore/root-of-trust.ts';
import { ChangeBeacon } from '../storage/change-beacon.ts';
import { openStore, type StoreLocation } from '../storage/open-store.ts';
import type { Store } from '../storage/store.ts';
import { createCertificateAuthority, type CertificateAuthority } from '../tls/certificates.ts';
import { checkDataDirectory } from './data-directory-checks.ts';
import { openInstanceAttestation, type InstanceAttestation } from '../custody/instance-attestation.ts';

export interface Instance {
  dataDir: string;
  store: Store;
  tenantId: string;
  signingKey: SigningKey;
  certificateAuthority: CertificateAuthority;
  /** Signs key attestations and released keys; its root is what `strongroom attestation root` exports. */
  attestation: InstanceAttestation;
  roots: { nodeIdentity: RootOfTrust; keyMaterial: RootOfTrust; backup: RootOfTrust };
  custody: Custody;
  /** The node's change beacon, when this process has a slot in it (the store signals its commits there). */
  beacon: ChangeBeacon | undefined;
}

const SETTINGS = NODE_IDENTITY_SETTINGS;

export const instancePaths = (dataDir: string) => ({
  database: join(dataDir, 'strongroom.db'),
  unsealKey: join(dataDir, 'unseal-key'),
  /** An earlier release's key-encryption key: migrated into the security domain at the first start, then removed. */
  legacyKeyEncryptionKey: join(dataDir, 'key-encryption-key'),
  tlsDir: join(dataDir, 'tls'),
  caCertificate: join(dataDir, 'tls', 'ca.pem'),
  adminCredentials: join(dataDir, 'admin-credentials.json'),
  changeBeacon: join(dataDir, 'strongroom.changes'),
});


export interface InstanceOptions {
  dataDir: string;
  /** The store; by default the data directory's SQLite file. Nodes of a cluster name one PostgreSQL database. */
  store?: StoreLocation | undefined;
  /** Who holds the domain key's wrapping key; by default the file `<data-dir>/unseal-key`. */
  unseal?: UnsealSettings | undefined;
  /** A new instance waits for a security domain download or upload before it serves keys. */
  requireActivation?: boolean | undefined;
  /** An earlier release's key-encryption-key file, when not in the data directory (migrated at first start). */
  legacyKekFile?: string | undefined;
  /** The process that owns start-up creates what is missing and migrates the schema; workers only open. */
  initialize: boolean;
  /**
   * This process's slot in the node's change beacon (slot 0 is the primary's), and how many there are; or
   * `offline-writer` for a command run beside a node (its commits are then seen by the node's caches at once).
   */
  beacon?: { slot: number; slots: number } | 'offline-writer' | undefined;
}

export async function openInstance(options: InstanceOptions): Promise<Instance> {
  // A missing or stale native crypto addon is a deployment fault: stop now, not at the first signature.
  nativeAddon();
  const { dataDir } = options;
  const paths = instancePaths(dataDir);
  checkDataDirectory(dataDir, paths);
  if (options.initialize) mkdirSync(paths.tlsDir, { recursive: true, mode: 0o700 });
  const location = options.store ?? { backend: 'sqlite', path: paths.database };
  const beacon = options.beacon === 'offline-writer'
    ? ChangeBeacon.openOfflineWriter(paths.changeBeacon)
    : options.beacon && new ChangeBeacon(paths.changeBeacon, { ...options.beacon, create: options.initialize });
  const store = await openStore(location, { migrate: options.initialize, beacon });
  try {
    const stored = await readDomainRecord(store.reader.settings);
    const unseal = options.unseal ?? { kind: 'file', keyFile: paths.unsealKey };
    if (stored !== undefined) assertHeldBy(stored, unseal.kind);
    const provider = openUnsealProvider(unseal, { create: stored === undefined && options.initialize });
    const opened = await openSealedDomain(store, provider, {
      initialize: options.initialize,
      requireActivation: options.requireActivation ?? false,
      legacyKekFile: options.legacyKekFile ?? paths.legacyKeyEncryptionKey,
    });
    const roots = { nodeIdentity: new RootOfTrust('node-identity'), keyMaterial: new RootOfTrust('key-material'), backup: new RootOfTrust('backup') };
    const custody = new Custody({ store, provider, domain: opened.domain, record: opened.record, roots });
    const nodeIdentity = roots.nodeIdentity;

    const tenantId = await settingOrCreate(store, SETTINGS.tenantId, async () => randomUUID());
    const signingKey = await openSigningKey(store, nodeIdentity);
    const caSetting = await settingOrCreate(store, SETTINGS.certificateAuthority, async () =>
      JSON.stringify(await sealedCertificateAuthority(nodeIdentity)),
    );
    const certificateAuthority = openCertificateAuthority(nodeIdentity, caSetting);
    if (options.initialize) {
      // Public (0644), and a final newline, so that the file can be appended to another CA bundle.
      writeFileAtomically(paths.caCertificate, withFinalNewline(certificateAuthority.certificatePem), { mode: 0o644 });
    }
    const attestation = await openInstanceAttestation(store, nodeIdentity);
    return { dataDir, store, tenantId, signingKey, certificateAuthority, attestation, roots, custody, beacon };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** A setting's value, created (once, even with several processes racing) when it is not set yet. */
async function settingOrCreate(store: Store, name: string, create: () => Promise<string>): Promise<string> {
  const existing = await store.reader.settings.getSetting(name);
  if (existing !== undefined) return existing;
  const value = await create();
  return store.transaction((unit) => unit.settings.putSettingIfAbsent(name, value));
}

async function openSigningKey(store: Store, root: RootOfTrust): Promise<SigningKey> {
  const sealed = await settingOrCreate(store, SETTINGS.signingKey, async () => {
    const privateKey = createSigningKey().export({ format: 'der', type: 'pkcs8' });
    return root.seal(privateKey, SETTINGS.signingKey).toString('base64');
  });
  return describeSigningKey(root.unsealPrivateKey(sealed, SETTINGS.signingKey));
}

async function sealedCertificateAuthority(root: RootOfTrust) {
  const ca = await createCertificateAuthority();
  const sealedPrivateKey = root.seal(ca.privateKeyDer, SETTINGS.certificateAuthority).toString('base64');
  ca.privateKeyDer.fill(0);
  return { certificatePem: ca.certificatePem, sealedPrivateKey };
}

function openCertificateAuthority(root: RootOfTrust, setting: string): CertificateAuthority {
  const stored = JSON.parse(setting) as { certificatePem: string; sealedPrivateKey: string };
  return {
    certificatePem: stored.certificatePem,
    privateKeyDer: root.unseal(Buffer.from(stored.sealedPrivateKey, 'base64'), SETTINGS.certificateAuthority),
  };
}

function withFinalNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
