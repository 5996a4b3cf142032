/**
 * A key as a backup carries it: every version with its attributes, tags, key_ops, release policy and private
 * material, as one JSON document. It is only ever seen sealed (custody/backup-blob.ts); this module turns stored
 * versions into the document and back into versions ready to store (re-sealed under this instance's keystore),
 * checking everything it reads, since a backup comes from outside.
 */
import { exportPrivateBytes, materialFromPrivateBytes, publicJwk } from '../../crypto/key-encoding.ts';
import type { KeyFamily } from '../../crypto/key-material.ts';
import type { Keystore } from '../../keystore/keystore.ts';
import type { DeletionInfo, KeyAttributes, KeyOrigin, KeyVersion, ReleasePolicy } from './key-model.ts';

const FORMAT = 'strongroom.key-backup/1';

interface BackedUpVersion {
  version: string;
  family: KeyFamily;
  keyOps: string[];
  attributes: KeyAttributes;
  tags?: Record<string, string> | undefined;
  releasePolicy?: ReleasePolicy | undefined;
  origin?: KeyOrigin | undefined;
  /** base64 of the private form (PKCS#8 DER, or the raw secret of an oct key). */
  privateKey: string;
}

export interface KeyBackupDocument {
  format: typeof FORMAT;
  name: string;
  /** Oldest first, as they were created. */
  versions: BackedUpVersion[];
  /** Set for a soft-deleted key (a full backup carries those too). */
  deletion?: DeletionInfo | undefined;
}

export class KeyBackupDocumentError extends Error {}

/** The document of one key's versions (oldest first), with their material opened by the keystore. */
export function keyBackupDocument(name: string, versions: readonly KeyVersion[], keystore: Keystore, deletion?: DeletionInfo): Buffer {
  const document: KeyBackupDocument = {
    format: FORMAT,
    name,
    deletion,
    versions: versions.map((version) => {
      const privateBytes = exportPrivateBytes(keystore.material(version));
      try {
        return {
          version: version.version,
          family: version.family,
          keyOps: version.keyOps,
          attributes: version.attributes,
          tags: version.tags,
          releasePolicy: version.releasePolicy,
          origin: version.origin,
          privateKey: privateBytes.toString('base64'),
        };
      } finally {
        privateBytes.fill(0);
      }
    }),
  };
  return Buffer.from(JSON.stringify(document), 'utf8');
}

/** The versions a document holds, re-sealed under this instance's keystore; KeyBackupDocumentError if malformed. */
export function versionsFromBackup(plaintext: Buffer, keystore: Keystore): { name: string; versions: KeyVersion[]; deletion?: DeletionInfo | undefined } {
  let document: KeyBackupDocument;
  try {
    document = JSON.parse(plaintext.toString('utf8')) as KeyBackupDocument;
  } catch {
    throw new KeyBackupDocumentError('not JSON');
  }
  if (document.format !== FORMAT || typeof document.name !== 'string' || !Array.isArray(document.versions) || document.versions.length === 0) {
    throw new KeyBackupDocumentError('not a key backup');
  }
  const { name } = document;
  const versions = document.versions.map((backedUp): KeyVersion => {
    if (typeof backedUp.version !== 'string' || typeof backedUp.privateKey !== 'string' || !['RSA', 'EC', 'oct'].includes(backedUp.family)) {
      throw new KeyBackupDocumentError('a version is malformed');
    }
    const privateBytes = Buffer.from(backedUp.privateKey, 'base64');
    try {
      const material = materialFromPrivateBytes(backedUp.family, privateBytes);
      if (material.family !== backedUp.family) throw new KeyBackupDocumentError('a version does not match its family');
      return {
        name,
        version: backedUp.version,
        family: material.family,
        keySize: material.family === 'EC' ? undefined : material.sizeBits,
        curve: material.family === 'EC' ? material.curve : undefined,
        keyOps: backedUp.keyOps,
        // Backups made before trusted / wrapWithTrusted existed: the defaults the migration gave stored versions.
        attributes: { ...backedUp.attributes, trusted: backedUp.attributes.trusted === true, wrapWithTrusted: backedUp.attributes.wrapWithTrusted !== false },
        tags: backedUp.tags,
        releasePolicy: backedUp.releasePolicy,
        origin: ['generated', 'imported', 'byok'].includes(backedUp.origin ?? '') ? backedUp.origin : undefined,
        publicJwk: publicJwk(material),
        sealedMaterial: keystore.seal(name, backedUp.version, material),
        rowVersion: 0,
      };
    } finally {
      privateBytes.fill(0);
    }
  });
  const { deletion } = document;
  if (deletion !== undefined && (typeof deletion?.deletedDate !== 'number' || typeof deletion.scheduledPurgeDate !== 'number')) {
    throw new KeyBackupDocumentError('the deletion is malformed');
  }
  return { name, versions, deletion };
}
