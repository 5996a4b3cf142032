/**
 * A secret as a backup carries it: every version with its attributes, tags, contentType and value, as one JSON
 * document, only ever seen sealed (custody/backup-blob.ts). This module turns stored versions into the document
 * and back into versions ready to store (re-sealed under this instance), checking everything it reads.
 */
import type { RootOfTrust } from '../../keystore/root-of-trust.ts';
import { openSecretValue, sealSecretValue } from '../../keystore/secret-sealing.ts';
import type { DeletionInfo, SecretAttributes, SecretVersion, WholeSecret } from './secret-model.ts';
import { assertValidSecretValue } from './secret-attributes.ts';

const FORMAT = 'strongroom.secret-backup/1';
const VERSION_ID = /^[0-9a-f]{32}$/;

interface BackedUpVersion {
  version: string;
  contentType?: string | undefined;
  attributes: SecretAttributes;
  tags?: Record<string, string> | undefined;
  value: string;
}

interface SecretBackupDocument {
  format: typeof FORMAT;
  name: string;
  /** Oldest first, as they were created. */
  versions: BackedUpVersion[];
  deletion?: DeletionInfo | undefined;
}

export class SecretBackupDocumentError extends Error {}

export function secretBackupDocument(secret: WholeSecret, root: RootOfTrust): Buffer {
  const document: SecretBackupDocument = {
    format: FORMAT,
    name: secret.name,
    deletion: secret.deletion,
    versions: secret.versions.map((version) => ({
      version: version.version,
      contentType: version.contentType,
      attributes: version.attributes,
      tags: version.tags,
      value: openSecretValue(root, version),
    })),
  };
  return Buffer.from(JSON.stringify(document), 'utf8');
}

/** The secret a document holds, its values sealed under `root`; SecretBackupDocumentError when malformed. */
export function secretFromBackup(plaintext: Buffer, root: RootOfTrust): WholeSecret {
  let document: SecretBackupDocument;
  try {
    document = JSON.parse(plaintext.toString('utf8')) as SecretBackupDocument;
  } catch {
    throw new SecretBackupDocumentError('not JSON');
  }
  if (document?.format !== FORMAT || typeof document.name !== 'string' || !/^[0-9a-zA-Z-]{1,127}$/.test(document.name)
    || !Array.isArray(document.versions) || document.versions.length === 0) {
    throw new SecretBackupDocumentError('not a secret backup');
  }
  const { name } = document;
  const versions = document.versions.map((backedUp): SecretVersion => {
    const attributes = backedUp?.attributes;
    if (typeof backedUp?.version !== 'string' || !VERSION_ID.test(backedUp.version) || typeof attributes?.enabled !== 'boolean'
      || typeof attributes.created !== 'number' || typeof attributes.updated !== 'number') {
      throw new SecretBackupDocumentError('a version is malformed');
    }
    try {
      assertValidSecretValue(backedUp.value);
    } catch {
      throw new SecretBackupDocumentError('a value is malformed');
    }
    return {
      name,
      version: backedUp.version,
      contentType: typeof backedUp.contentType === 'string' ? backedUp.contentType : undefined,
      attributes: { enabled: attributes.enabled, nbf: numberOrUndefined(attributes.nbf), exp: numberOrUndefined(attributes.exp), created: attributes.created, updated: attributes.updated },
      tags: backedUp.tags ?? undefined,
      sealedValue: sealSecretValue(root, name, backedUp.version, backedUp.value),
      rowVersion: 0,
    };
  });
  const { deletion } = document;
  if (deletion != null && (typeof deletion.deletedDate !== 'number' || typeof deletion.scheduledPurgeDate !== 'number')) {
    throw new SecretBackupDocumentError('the deletion is malformed');
  }
  return deletion == null ? { name, versions } : { name, versions, deletion };
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
