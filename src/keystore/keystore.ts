/**
 * Where key material crosses between its sealed, stored form and the parsed objects the crypto layer uses.
 *
 * The material of a key version never changes once created, so parsed material is cached by (name, version)
 * without invalidation on update; attributes (enabled, nbf, exp, key_ops) are read from storage on every
 * operation, so a change made through any process is seen at once. A purge drops the name's entries here;
 * other processes keep theirs until evicted, which is harmless because storage no longer answers for that
 * name, so the cached material is never reached.
 */
import { exportPrivateBytes, materialFromPrivateBytes } from '../crypto/key-encoding.ts';
import type { KeyMaterial } from '../crypto/key-material.ts';
import type { KeyVersionRecord } from '../storage/store.ts';
import type { KeyEncryptionKey } from './key-encryption-key.ts';

export class Keystore {
  readonly #kek: KeyEncryptionKey;
  readonly #cache = new Map<string, KeyMaterial>();
  readonly #capacity: number;

  constructor(kek: KeyEncryptionKey, options: { cacheCapacity?: number } = {}) {
    this.#kek = kek;
    this.#capacity = options.cacheCapacity ?? 10_000;
  }

  /** Seals material for storage under the name and version it will be stored as. */
  seal(name: string, version: string, material: KeyMaterial): Buffer {
    const privateBytes = exportPrivateBytes(material);
    try {
      return this.#kek.seal(privateBytes, materialContext(name, version));
    } finally {
      privateBytes.fill(0);
    }
  }

  /** The parsed material of a stored version, from the cache when possible. */
  material(record: Pick<KeyVersionRecord, 'name' | 'version' | 'family' | 'sealedMaterial'>): KeyMaterial {
    const cacheKey = materialContext(record.name, record.version);
    const cached = this.#cache.get(cacheKey);
    if (cached !== undefined) {
      // Re-insert to keep the most recently used entries at the end of the Map's order.
      this.#cache.delete(cacheKey);
      this.#cache.set(cacheKey, cached);
      return cached;
    }
    const privateBytes = this.#kek.unseal(record.sealedMaterial, cacheKey);
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
