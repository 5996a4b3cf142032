/**
 * The security domain as one node holds it while it runs: the domain key, whether the instance is activated,
 * and the roots of trust unlocked from it.
 *
 *   node-identity   unlocked at start in every case (TLS CA key, token-signing key, the transfer key), so an
 *                   instance awaiting activation still answers TLS, tokens and the security-domain endpoints
 *   key-material    customer keys; unlocked once the instance is activated
 *   backup          key backups and full backups; unlocked with key-material
 *
 * Activation happens once per instance: a security domain download (this instance's own domain) or an upload
 * (another instance's domain, which then replaces the provisional one; only an instance awaiting activation
 * takes one, so no key was ever sealed under the domain it replaces). Other nodes of a cluster learn of it by
 * `refresh`, which a node awaiting activation runs every few seconds (`watch`).
 */
import type { RootOfTrust } from '../keystore/root-of-trust.ts';
import type { Store } from '../storage/store.ts';
import { unlockWithDomainKey, type DomainKey } from './domain-key.ts';
import { readDomainRecord, unwrapDomain, type SealedDomainRecord } from './sealed-domain.ts';
import type { UnsealProvider } from './unseal/unseal-provider.ts';

export interface CustodyRoots {
  nodeIdentity: RootOfTrust;
  keyMaterial: RootOfTrust;
  backup: RootOfTrust;
}

/** How often a node awaiting activation looks whether another node activated the instance. */
const ACTIVATION_POLL_MS = 2_000;

export class Custody {
  readonly roots: CustodyRoots;
  readonly provider: UnsealProvider;
  readonly #store: Store;
  #domain: DomainKey;
  #record: SealedDomainRecord;
  #watch: NodeJS.Timeout | undefined;

  constructor(options: { store: Store; provider: UnsealProvider; domain: DomainKey; record: SealedDomainRecord; roots: CustodyRoots }) {
    this.#store = options.store;
    this.provider = options.provider;
    this.#domain = options.domain;
    this.#record = options.record;
    this.roots = options.roots;
    unlockWithDomainKey(this.roots.nodeIdentity, this.#domain, 'node-identity');
    if (this.#record.activated) this.#unlockDomainRoots();
  }

  get isActivated(): boolean {
    return this.#record.activated;
  }

  get domain(): DomainKey {
    return this.#domain;
  }

  get record(): SealedDomainRecord {
    return this.#record;
  }

  /** After the unit that stored `record` committed: this node now serves that domain, activated. */
  adopt(domain: DomainKey, record: SealedDomainRecord): void {
    if (domain.id !== this.#domain.id) {
      // The node identity was re-sealed under the new domain; the old key still opens what this node read before.
      this.roots.nodeIdentity.unlock(domain.derive('node-identity'), [this.#domain.derive('node-identity'), domain.legacy]);
      this.#domain = domain;
    }
    this.#record = record;
    if (record.activated) this.#unlockDomainRoots();
  }

  /** Reads the stored record again: another node may have activated the instance or uploaded a domain. */
  async refresh(): Promise<void> {
    const stored = await readDomainRecord(this.#store.reader.settings);
    if (stored === undefined) return;
    if (stored.domainId === this.#record.domainId && stored.activated === this.#record.activated) return;
    const domain = stored.domainId === this.#domain.id ? this.#domain : await unwrapDomain(stored, this.provider);
    this.adopt(domain, stored);
  }

  /** While the instance awaits activation, looks for it every few seconds; stops once activated. */
  watch(onError: (error: unknown) => void): void {
    if (this.isActivated || this.#watch !== undefined) return;
    this.#watch = setInterval(() => {
      this.refresh().then(
        () => { if (this.isActivated) this.stop(); },
        onError,
      );
    }, ACTIVATION_POLL_MS);
    this.#watch.unref();
  }

  stop(): void {
    clearInterval(this.#watch);
    this.#watch = undefined;
  }

  #unlockDomainRoots(): void {
    unlockWithDomainKey(this.roots.keyMaterial, this.#domain, 'key-material');
    unlockWithDomainKey(this.roots.backup, this.#domain, 'backup');
  }
}
