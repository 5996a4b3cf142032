/**
 * The envelope of everything a backup carries out of the instance (a key backup's blob, each object of a full
 * backup): its content sealed under the domain's `backup` root of trust, behind a short header that names the
 * domain in the clear, so that a restore into an instance of another domain is told apart from a damaged blob.
 *
 *   "SRB1" (4) ‖ kind (1) ‖ domain id (16, the id's hex decoded) ‖ sealed v2 blob (keystore/sealing-key.ts)
 *
 * The AAD of the sealed blob binds the kind and the object's name, so an object cannot be passed off as another.
 * Only an instance holding the same domain key opens it; a copy of it anywhere else is ciphertext.
 */
import type { RootOfTrust } from '../keystore/root-of-trust.ts';
import { SealedBlobError } from '../keystore/sealing-key.ts';

const MAGIC = Buffer.from('SRB1', 'latin1');
const DOMAIN_ID_BYTES = 16;
const HEADER_BYTES = MAGIC.length + 1 + DOMAIN_ID_BYTES;

export const BACKUP_KINDS = { key: 1, fullBackupObject: 2 } as const;
export type BackupKind = keyof typeof BACKUP_KINDS;

export type BackupBlobProblem = 'corrupt' | 'another-domain';

export class BackupBlobError extends Error {
  readonly problem: BackupBlobProblem;
  /** The domain the blob names, when it names one. */
  readonly domainId: string | undefined;

  constructor(problem: BackupBlobProblem, domainId?: string) {
    super(problem === 'corrupt' ? 'The backup is corrupt or was tampered with' : `The backup belongs to another security domain (${domainId?.slice(0, 8)})`);
    this.name = 'BackupBlobError';
    this.problem = problem;
    this.domainId = domainId;
  }
}

export function sealBackup(root: RootOfTrust, domainId: string, kind: BackupKind, name: string, plaintext: Uint8Array): Buffer {
  const header = Buffer.concat([MAGIC, Buffer.of(BACKUP_KINDS[kind]), Buffer.from(domainId, 'hex')]);
  if (header.length !== HEADER_BYTES) throw new TypeError('A domain id is 32 hex digits');
  return Buffer.concat([header, root.seal(plaintext, context(kind, name))]);
}

/** The plaintext, or BackupBlobError: `another-domain` when the header names another domain, else `corrupt`. */
export function openBackup(root: RootOfTrust, domainId: string, kind: BackupKind, name: string, blob: Uint8Array): Buffer {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (bytes.length <= HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC) || bytes[MAGIC.length] !== BACKUP_KINDS[kind]) {
    throw new BackupBlobError('corrupt');
  }
  const blobDomain = bytes.subarray(MAGIC.length + 1, HEADER_BYTES).toString('hex');
  if (blobDomain !== domainId) throw new BackupBlobError('another-domain', blobDomain);
  try {
    return root.unseal(bytes.subarray(HEADER_BYTES), context(kind, name));
  } catch (error) {
    if (error instanceof SealedBlobError) throw new BackupBlobError('corrupt');
    throw error;
  }
}

function context(kind: BackupKind, name: string): string {
  return `backup/${kind}/${name.toLowerCase()}`;
}
