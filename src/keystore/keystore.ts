/**
 * Where customer key material crosses between its sealed, stored form and the parsed objects the crypto layer
 * uses, through the `key-material` root of trust (locked until unsealed: every use then throws
 * RootOfTrustLockedError).
 *
 * The material of a key version never changes once created, so parsed material is cached by (name, version)
 * without invalidation on update; attributes (enabled, nbf, exp, key_ops) are read from storage on every
 * operation, so a change made through any process is seen at once. A purge drops the name's entries here (after
 * its unit of work commits); other processes keep theirs until evicted, which is harmless because storage no
 * longer answers for that name, so the cached material is never reached.
 */
import { exportPrivateBytes, materialFromPrivateBytes } from '../crypto/key-encoding.ts';
import type { KeyMaterial } from '../crypto/key-material.ts';
import type { KeyVersion } from '../domain/keys/key-model.ts';
import type { RootOfTrust } from './root-of-trust.ts';

export class Keystore {
  readonly #root: RootOfTrust;
  readonly #cache = new Map<string, KeyMaterial>();
  readonly #capacity: number;

  constructor(root: RootOfTrust, options: { cacheCapacity?: number } = {}) {
    this.#root = root;
    this.#capacity = options.cacheCapacity ?? 10_000;
  }

  /** Seals material for storage under the name and version it will be stored as. */
  seal(name: string, version: string, material: KeyMaterial): Buffer {
    const privateBytes = exportPrivateBytes(material);
    try {
      return this.#root.seal(privateBytes, materialContext(name, version));
    } finally {
      privateBytes.fill(0);
    }
  }

  /** The parsed material of a stored version, from the cache when possible. */
  material(record: Pick<KeyVersion, 'name' | 'version' | 'family' | 'sealedMaterial'>): KeyMaterial {
    const cacheKey = materialContext(record.name, record.version);
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined && this.#root.isUnsealed) {
      // Re-insert to keep the most recently used entries at the end of the Map's order.
      this.#cache.delete(cacheKey);
      this.#cache.set(cacheKey, cached);
      return cached;
    }
    const privateBytes = this.#root.unseal(record.sealedMaterial, cacheKey);
    try {
      const material = materialFromPrivateBytes(record.family, privateBytes);
      this.#remember(cacheKey, material);
      return material;
    } finally {
      privateBytes.fill(0);
    }
  }

  /** Drops every cached version of a key (after a purge). */
  forget(name: string): void {
    const prefix = materialContext(name, '');
    for (const cacheKey of this.#cache.keys()) if (cacheKey.startsWith(prefix)) this.#cache.delete(cacheKey);
  }

  /** Drops all parsed material (when the root is locked again). */
  forgetAll(): void {
    this.#cache.clear();
  }

  #remember(cacheKey: string, material: KeyMaterial): void {
    if (this.#cache.size >= this.#capacity) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(cacheKey, material);
  }
}

/** The associated data a key version's sealed material is bound to. Names compare case-insensitively. */
function materialContext(name: string, version: string): string {
  return `key/${name.toLowerCase()}/${version.toLowerCase()}`;
}
