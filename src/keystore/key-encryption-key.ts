/**
 * The instance key-encryption key (KEK) file: 32 random bytes in the data directory, mode 0600, from which both
 * roots of trust get their keys (HKDF-SHA256, one key per purpose, so the node's identity and the customer key
 * material are sealed under different keys). The database holds only a fingerprint, so a mismatched pair
 * (database from one instance, KEK file from another) is refused at start instead of failing key by key.
 *
 * The first release sealed everything directly under the KEK (v1 blobs); both roots keep that legacy key to open
 * them. A security domain (issue 9) replaces this file as the source of the key-material root's keys.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomically } from '../lib/atomic-file.ts';
import { legacySealingKey, sealingKey, type SealingKey } from './sealing-key.ts';

const KEK_BYTES = 32;

export interface KeyEncryptionKey {
  /** Identifies the KEK without revealing it. */
  readonly fingerprint: string;
  /** The sealing key of one purpose (`node-identity`, `key-material`), derived from the KEK. */
  derive(purpose: RootPurpose): SealingKey;
  /** Opens (and, for tests of old data, writes) the first release's v1 blobs. */
  readonly legacy: SealingKey;
}

export type RootPurpose = 'node-identity' | 'key-material';

export function keyEncryptionKeyFromBytes(kek: Buffer): KeyEncryptionKey {
  if (kek.length !== KEK_BYTES) throw new TypeError('The key-encryption key must be 32 bytes');
  const fingerprint = createHmac('sha256', kek).update('strongroom kek fingerprint v1').digest('hex').slice(0, 32);
  const bytes = Buffer.from(kek);
  return {
    fingerprint,
    legacy: legacySealingKey(bytes),
    derive: (purpose) =>
      sealingKey(Buffer.from(hkdfSync('sha256', bytes, Buffer.alloc(0), `strongroom/${purpose}/v1`, KEK_BYTES))),
  };
}

/**
 * Loads the KEK file of a data directory, creating it (mode 0600) on first start. A file readable by group or
 * others is refused: a KEK anyone on the machine can read protects nothing.
 *
 * The file is created whole or not at all (temporary file, fsync, then a hard link that fails if the name
 * exists, see lib/atomic-file.ts), so a crash on first start cannot leave a short KEK, and an existing KEK is
 * never replaced: a process that loses a race to create it loads the winner's.
 */
export function loadOrCreateKeyEncryptionKeyFile(path: string): KeyEncryptionKey {
  if (!existsSync(path)) {
    const fresh = randomBytes(KEK_BYTES);
    try {
      writeFileAtomically(path, fresh, { mode: 0o600, exclusive: true });
    } catch (error) {
      // EEXIST: another process created it between our check and our link; theirs is complete, so load it.
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    } finally {
      fresh.fill(0);
    }
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new Error(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  const bytes = readFileSync(path);
  if (bytes.length !== KEK_BYTES) {
    throw new Error(`${path} is ${bytes.length} bytes long, not a ${KEK_BYTES}-byte Strongroom key-encryption key; restore it from your backup`);
  }
  return keyEncryptionKeyFromBytes(bytes);
}

/** Unlocks a root of trust with the KEK: its derived key seals, the legacy key opens first-release blobs. */
export function unlockWithKek(root: { unlock(current: SealingKey, older: readonly SealingKey[]): void }, kek: KeyEncryptionKey, purpose: RootPurpose): void {
  root.unlock(kek.derive(purpose), [kek.legacy]);
}
