/**
 * A sealing key: AES-256-GCM over a private object, with a context string bound as associated data so that a
 * sealed blob cannot be moved to another row and still open. Every blob names the key that sealed it, so that
 * a root of trust holding several keys (after a re-wrap or a rotation) opens each blob with the right one:
 *
 *   v2:  0x02 ‖ id length (1) ‖ key id (ASCII) ‖ iv (12) ‖ ciphertext ‖ tag (16)   AAD "strongroom/v2/<id>/<context>"
 *   v1:  0x01 ‖ iv (12) ‖ ciphertext ‖ tag (16)                                    AAD "strongroom/v1/<context>"
 *
 * v1 is what the first release wrote, directly under the instance key-encryption key; it is only opened, never
 * written again.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const LEGACY_FORMAT = 1;
const FORMAT = 2;

export interface SealingKey {
  /** Names the key in every blob it seals, without revealing it. */
  readonly id: string;
  seal(plaintext: Uint8Array, context: string): Buffer;
  /** Opens a blob this key sealed; throws SealedBlobError when it was altered, or sealed under another context or key. */
  unseal(sealed: Uint8Array, context: string): Buffer;
}

export class SealedBlobError extends Error {
  constructor() {
    super('A sealed blob could not be opened: it is corrupt, or it belongs to another key or instance.');
    this.name = 'SealedBlobError';
  }
}

/** The id of the key that sealed a blob, or `legacy` for a first-release (v1) blob. */
export function sealedBy(sealed: Uint8Array): string {
  const blob = asBuffer(sealed);
  if (blob[0] === LEGACY_FORMAT) return 'legacy';
  const idLength = blob[1] ?? 0;
  if (blob[0] !== FORMAT || blob.length < 2 + idLength + IV_BYTES + TAG_BYTES) throw new SealedBlobError();
  return blob.subarray(2, 2 + idLength).toString('latin1');
}

export function sealingKey(key: Buffer): SealingKey {
  if (key.length !== KEY_BYTES) throw new TypeError('A sealing key must be 32 bytes');
  const id = createHmac('sha256', key).update('strongroom sealing key id v1').digest('hex').slice(0, 32);
  const header = Buffer.concat([Buffer.of(FORMAT, id.length), Buffer.from(id, 'latin1')]);
  const aad = (context: string) => Buffer.from(`strongroom/v2/${id}/${context}`, 'utf8');
  return {
    id,
    seal: (plaintext, context) => Buffer.concat([header, gcmSeal(key, plaintext, aad(context))]),
    unseal(sealed, context) {
      const blob = asBuffer(sealed);
      if (blob.length < header.length || !blob.subarray(0, header.length).equals(header)) throw new SealedBlobError();
      return gcmOpen(key, blob.subarray(header.length), aad(context));
    },
  };
}

/** The first release's format: opens v1 blobs sealed directly under the key-encryption key. */
export function legacySealingKey(key: Buffer): SealingKey {
  if (key.length !== KEY_BYTES) throw new TypeError('A sealing key must be 32 bytes');
  const aad = (context: string) => Buffer.from(`strongroom/v${LEGACY_FORMAT}/${context}`, 'utf8');
  return {
    id: 'legacy',
    seal: (plaintext, context) => Buffer.concat([Buffer.of(LEGACY_FORMAT), gcmSeal(key, plaintext, aad(context))]),
    unseal(sealed, context) {
      const blob = asBuffer(sealed);
      if (blob[0] !== LEGACY_FORMAT) throw new SealedBlobError();
      return gcmOpen(key, blob.subarray(1), aad(context));
    },
  };
}

function gcmSeal(key: Buffer, plaintext: Uint8Array, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** `iv ‖ ciphertext ‖ tag` → plaintext, or SealedBlobError whatever went wrong. */
function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new SealedBlobError();
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealedBlobError();
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
