/**
 * The security-domain ceremony (reference §5.5), as operations of the kernel:
 *
 *   downloadSecurityDomain   a fresh set of custodian shares of this instance's domain key; on an instance that
 *                            awaits activation, the download activates it (its own provisional domain becomes
 *                            the domain)
 *   getTransferKey           a fresh RSA transfer key the custodians' client wraps an upload to
 *   uploadSecurityDomain     installs another instance's domain into an instance that awaits activation: the
 *                            new domain key is wrapped by this node's unseal provider, the node-identity settings
 *                            are re-sealed under it, and the instance is activated, all in one unit of work
 *   get…Status               the `pending` endpoints; both operations complete within their request, so the
 *                            status is that of the last one
 * They run before activation (that is what they are for); the heavy work (RSA, Shamir) is done in `prepare`.
 */
import { domainKeyFromBytes, domainIdOf } from '../../custody/domain-key.ts';
import { resealNodeIdentity } from '../../custody/node-identity-settings.ts';
import { readDomainRecord, replaceDomainRecord, type SealedDomainRecord } from '../../custody/sealed-domain.ts';
import {
  createSecurityDomainFile,
  openUploadBlob,
  parseCertificateInfo,
  SecurityDomainFormatError,
} from '../../custody/security-domain-file.ts';
import { createTransferKey, openTransferKey, TRANSFER_KEY_SETTING, type StoredTransferKey, type TransferKeyJwk } from '../../custody/transfer-key.ts';
import { badParameter } from '../../errors/errors.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import type { SettingsReader, UnitOfWork } from '../../storage/store.ts';
import { readOperation, writeOperation, type OperationEnvironment } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';

const HSM_SCOPE = '/';
const STATUS_SETTINGS = { download: 'custody.download-status', upload: 'custody.upload-status' } as const;

/** SecurityDomainOperationStatus: note Azure's `Success`, not `Succeeded`. */
export interface SecurityDomainStatus {
  status: 'Success' | 'InProgress' | 'Failed';
  status_details: string;
}

export const downloadSecurityDomain = writeOperation<{ body: unknown }, { value: string }, { value: string; domainId: string }>({
  name: 'downloadSecurityDomain',
  dataAction: DataActions.downloadSecurityDomain,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: (input, output) => ({ certificates: certificateCount(input.body), downloaded: output !== undefined }),
  async prepare({ input, env }) {
    const { certificates, required } = await asBadParameter(() => parseCertificateInfo(input.body));
    const domain = env.custody.domain;
    const key = domain.exportBytes();
    try {
      return { value: await createSecurityDomainFile({ key, id: domain.id }, certificates, required), domainId: domain.id };
    } finally {
      key.fill(0);
    }
  },
  async run({ env }, unit, prepared) {
    const record = await currentRecord(unit.settings, env, prepared.domainId);
    if (!record.activated) {
      const activated: SealedDomainRecord = { ...record, activated: true };
      if (!(await replaceDomainRecord(unit, record, activated))) throw domainChanged(env);
      unit.afterCommit(() => env.custody.adopt(env.custody.domain, activated));
    }
    await writeStatus(unit, STATUS_SETTINGS.download, { status: 'Success', status_details: 'The security domain was downloaded.' });
    return { value: prepared.value };
  },
});

export const getSecurityDomainDownloadStatus = readOperation<Record<string, never>, SecurityDomainStatus>({
  name: 'getSecurityDomainDownloadStatus',
  dataAction: DataActions.readSecurityDomainDownload,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: () => ({}),
  run: (_call, store) => readStatus(store.settings, STATUS_SETTINGS.download, 'No security domain download has been made on this instance.'),
});

export const getTransferKey = writeOperation<Record<string, never>, TransferKeyJwk, StoredTransferKey>({
  name: 'getTransferKey',
  dataAction: DataActions.readTransferKey,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: (_input, output) => ({ transferKey: output?.kid }),
  prepare: ({ env }) => createTransferKey(env.custody.roots.nodeIdentity),
  async run(_call, unit, prepared) {
    await unit.settings.putSetting(TRANSFER_KEY_SETTING, JSON.stringify(prepared));
    return prepared.jwk;
  },
});

interface PreparedUpload {
  record: SealedDomainRecord;
  replacing: string;
  resealed: Array<{ name: string; value: string }>;
  adopt: () => void;
}

export const uploadSecurityDomain = writeOperation<{ value: unknown }, SecurityDomainStatus, PreparedUpload>({
  name: 'uploadSecurityDomain',
  dataAction: DataActions.uploadSecurityDomain,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: (_input, output) => ({ uploaded: output !== undefined }),
  async prepare({ input, env }, store) {
    const { custody } = env;
    if (custody.isActivated) throw activeInstanceRefusesUpload();
    if (typeof input.value !== 'string' || input.value === '') throw badParameter('value (the security domain upload blob, a JSON string) is required');
    const storedKey = await store.settings.getSetting(TRANSFER_KEY_SETTING);
    if (storedKey === undefined) throw badParameter('This instance has no transfer key: GET /securitydomain/upload first, then build the blob for the key it returns');
    const transferKey = openTransferKey(custody.roots.nodeIdentity, JSON.parse(storedKey) as StoredTransferKey);
    const secret = await asBadParameter(() => openUploadBlob(input.value as string, transferKey));
    try {
      if (secret.key.length !== 32 || domainIdOf(secret.key) !== secret.id) throw badParameter('The security domain blob is corrupt or was tampered with');
      const domain = domainKeyFromBytes(secret.key);
      const record: SealedDomainRecord = { version: 1, domainId: domain.id, key: await custody.provider.wrap(secret.key), activated: true };
      const resealed = await resealNodeIdentity(store.settings, custody.roots.nodeIdentity, domain.derive('node-identity'));
      return { record, replacing: custody.domain.id, resealed, adopt: () => custody.adopt(domain, record) };
    } finally {
      secret.key.fill(0);
    }
  },
  async run({ env }, unit, prepared) {
    const current = await currentRecord(unit.settings, env, prepared.replacing);
    if (current.activated) throw activeInstanceRefusesUpload();
    // The record first: of two uploads at once, the one that loses writes nothing.
    if (!(await replaceDomainRecord(unit, current, prepared.record))) throw domainChanged(env);
    for (const { name, value } of prepared.resealed) await unit.settings.putSetting(name, value);
    const status: SecurityDomainStatus = { status: 'Success', status_details: 'The security domain was restored; the instance is activated.' };
    await writeStatus(unit, STATUS_SETTINGS.upload, status);
    unit.afterCommit(prepared.adopt);
    return status;
  },
});

export const getSecurityDomainUploadStatus = readOperation<Record<string, never>, SecurityDomainStatus>({
  name: 'getSecurityDomainUploadStatus',
  dataAction: DataActions.readSecurityDomainUpload,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: () => ({}),
  run: (_call, store) => readStatus(store.settings, STATUS_SETTINGS.upload, 'No security domain upload has been made on this instance.'),
});

/** The stored record, which must still be the domain this node holds (another node may have uploaded one). */
async function currentRecord(settings: SettingsReader, env: OperationEnvironment, domainId: string): Promise<SealedDomainRecord> {
  const record = await readDomainRecord(settings);
  if (record === undefined || record.domainId !== domainId) throw domainChanged(env);
  return record;
}

function domainChanged(env: OperationEnvironment): StrongroomError {
  void env.custody.refresh().catch(() => undefined);
  return new StrongroomError('Conflict', 'The security domain of this instance changed during the request (an upload or activation through another node); retry the request.');
}

function activeInstanceRefusesUpload(): StrongroomError {
  return new StrongroomError(
    'Conflict',
    'This instance is activated with its own security domain; a security domain can be uploaded only into a new instance that awaits activation (started with --require-activation).',
  );
}

async function writeStatus(unit: UnitOfWork, name: string, status: SecurityDomainStatus): Promise<void> {
  await unit.settings.putSetting(name, JSON.stringify(status));
}

async function readStatus(settings: SettingsReader, name: string, none: string): Promise<SecurityDomainStatus> {
  const raw = await settings.getSetting(name);
  return raw === undefined ? { status: 'Failed', status_details: none } : (JSON.parse(raw) as SecurityDomainStatus);
}

/** The file format's errors are the client's: 400 BadParameter with their message. */
async function asBadParameter<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SecurityDomainFormatError) throw badParameter(error.message);
    throw error;
  }
}

function certificateCount(body: unknown): number | undefined {
  const certificates = (body as { certificates?: unknown } | null)?.certificates;
  return Array.isArray(certificates) ? certificates.length : undefined;
}
