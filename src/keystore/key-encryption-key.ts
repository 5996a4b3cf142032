/**
 * The instance key-encryption key (KEK): the one secret that protects every private key at rest.
 *
 * Everything private that Strongroom stores (key material, the token-signing key, the TLS CA key) is sealed
 * with AES-256-GCM under this key, with a context string bound as associated data, so a sealed blob cannot be
 * moved to another key's row and still open. The KEK itself lives outside the database, in a file of the data
 * directory readable only by its owner; the database holds only a fingerprint so that a mismatched pair
 * (database from one instance, KEK file from another) is refused at start instead of failing key by key.
 *
 * This module is the single seam a security domain (quorum-split master key) replaces later: callers only
 * see `seal`/`unseal`/`fingerprint`.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEK_BYTES = 32;

export interface KeyEncryptionKey {
  /** Identifies the KEK without revealing it. */
  readonly fingerprint: string;
  seal(plaintext: Uint8Array, context: string): Buffer;
  /** Opens a sealed blob; throws when the blob was altered or sealed under another context or KEK. */
  unseal(sealed: Uint8Array, context: string): Buffer;
}

export class SealedBlobError extends Error {
  constructor() {
    super('A sealed blob could not be opened: it is corrupt, or it belongs to another key or instance.');
    this.name = 'SealedBlobError';
  }
}

export function keyEncryptionKeyFromBytes(kek: Buffer): KeyEncryptionKey {
  if (kek.length !== KEK_BYTES) throw new TypeError('The key-encryption key must be 32 bytes');
  const fingerprint = createHmac('sha256', kek).update('strongroom kek fingerprint v1').digest('hex').slice(0, 32);
  const aadFor = (context: string) => Buffer.from(`strongroom/v${FORMAT_VERSION}/${context}`, 'utf8');
  return {
    fingerprint,
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aadFor(context));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([Buffer.of(FORMAT_VERSION), iv, body, cipher.getAuthTag()]);
    },
    unseal(sealed, context) {
      const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== FORMAT_VERSION) throw new SealedBlobError();
      const iv = blob.subarray(1, 1 + IV_BYTES);
      const body = blob.subarray(1 + IV_BYTES, blob.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadFor(context));
      decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new SealedBlobError();
      }
    },
  };
}

/**
 * Loads the KEK file of a data directory, creating it (mode 0600) on first start. A file readable by group or
 * others is refused: a KEK anyone on the machine can read protects nothing.
 */
export function loadOrCreateKeyEncryptionKeyFile(path: string): KeyEncryptionKey {
  if (!existsSync(path)) {
    writeFileSync(path, randomBytes(KEK_BYTES), { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new Error(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  const bytes = readFileSync(path);
  if (bytes.length !== KEK_BYTES) throw new Error(`${path} is not a Strongroom key-encryption key (expected 32 bytes)`);
  return keyEncryptionKeyFromBytes(bytes);
}
