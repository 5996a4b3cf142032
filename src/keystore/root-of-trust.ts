/**
 * A root of trust: the keys that seal one trust domain's private objects, locked until it is unsealed.
 *
 * Strongroom has two, sealed separately:
 * - `node-identity`: what the node needs to serve at all (the TLS CA key, the token-signing key). It is unsealed
 *   at start, so the service can answer TLS, tokens and an activation ceremony before any customer key opens.
 * - `key-material`: customer key material (secrets next). A security domain will hold its keys; until it is
 *   unsealed every use answers "locked", and nothing can be sealed.
 * A root may hold several keys: new blobs are sealed under the current one, and each blob is opened with the key
 * it names (so blobs survive a re-wrap or a rotation of the root's keys).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SealedBlobError, sealedBy, type SealingKey } from './sealing-key.ts';

export class RootOfTrustLockedError extends Error {
  readonly root: string;

  constructor(root: string) {
    super(`The ${root} root of trust is locked`);
    this.name = 'RootOfTrustLockedError';
    this.root = root;
  }
}

export function isRootOfTrustLocked(error: unknown): error is RootOfTrustLockedError {
  return error instanceof RootOfTrustLockedError;
}

export class RootOfTrust {
  readonly name: string;
  #current: SealingKey | undefined;
  readonly #keys = new Map<string, SealingKey>();

  constructor(name: string) {
    this.name = name;
  }

  get isUnsealed(): boolean {
    return this.#current !== undefined;
  }

  /** Unlocks the root: `current` seals from now on; `older` keys (and `current`) open the blobs that name them. */
  unlock(current: SealingKey, older: readonly SealingKey[] = []): void {
    for (const key of [current, ...older]) this.#keys.set(key.id, key);
    this.#current = current;
  }

  /** Forgets every key: the root answers locked again. */
  lock(): void {
    this.#keys.clear();
    this.#current = undefined;
  }

  seal(plaintext: Uint8Array, context: string): Buffer {
    if (this.#current === undefined) throw new RootOfTrustLockedError(this.name);
    return this.#current.seal(plaintext, context);
  }

  unseal(sealed: Uint8Array, context: string): Buffer {
    if (this.#current === undefined) throw new RootOfTrustLockedError(this.name);
    const key = this.#keys.get(sealedBy(sealed));
    if (key === undefined) throw new SealedBlobError();
    return key.unseal(sealed, context);
  }
  /** A PKCS#8 private key sealed under this root (base64, as settings hold it), opened; its DER is zeroed. */
  unsealPrivateKey(sealedBase64: string, context: string): KeyObject {
    const der = this.unseal(Buffer.from(sealedBase64, 'base64'), context);
    try {
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } finally {
      der.fill(0);
    }
  }

}
