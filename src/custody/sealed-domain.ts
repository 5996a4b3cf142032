/**
 * The domain key at rest: wrapped by the unseal provider, in the store's `custody.domain` setting, with the
 * domain's id and whether the instance is activated. Every node of a cluster reads the same record, so every
 * node opens the same domain (given the same unseal key, environment variable or token).
 *
 * At start (`openSealedDomain`):
 * - a record exists: the provider unwraps it; a provider that cannot is a start that stops with one line;
 * - no record, but the store was made by a release that sealed under a key-encryption-key file (its setting
 *   `instance.kek-fingerprint`): that file's key becomes the domain key (nothing is re-sealed: the derivations
 *   are the same), it is wrapped by the provider, and then the file is removed, since it is the domain key in
 *   the clear. A crash in between leaves the file, and the next start removes it once the record is there;
 * - neither: a fresh domain key (the first start of the instance), activated at once unless the instance
 *   waits for a security domain download or upload (`--require-activation`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { SettingsReader, Store, UnitOfWork } from '../storage/store.ts';
import { DOMAIN_KEY_BYTES, domainKeyFromBytes, legacyKekFingerprint, type DomainKey } from './domain-key.ts';
import { UnsealError, type UnsealProvider, type UnsealProviderKind, type WrappedDomainKey } from './unseal/unseal-provider.ts';

export const CUSTODY_SETTINGS = {
  domain: 'custody.domain',
  /** What the first release stored: the fingerprint of its key-encryption key. */
  legacyKekFingerprint: 'instance.kek-fingerprint',
} as const;

export interface SealedDomainRecord {
  version: 1;
  domainId: string;
  key: WrappedDomainKey;
  /** False while the instance awaits a security domain download or upload. */
  activated: boolean;
}

export interface OpenedDomain {
  domain: DomainKey;
  record: SealedDomainRecord;
  /** Set when this start migrated a key-encryption-key file of an earlier release into the domain. */
  migratedFrom?: string | undefined;
}

export interface OpenDomainOptions {
  /** The process that owns start-up may create or migrate; others only open what it made. */
  initialize: boolean;
  requireActivation: boolean;
  /** Where an earlier release's key-encryption key would be. */
  legacyKekFile: string;
}

export async function readDomainRecord(settings: SettingsReader): Promise<SealedDomainRecord | undefined> {
  const raw = await settings.getSetting(CUSTODY_SETTINGS.domain);
  return raw === undefined ? undefined : parseRecord(raw);
}

/**
 * Replaces the stored record, only if it is still `current` (compare-and-set): of two nodes activating or
 * uploading at once, one wins and the other is told, so no node serves a domain the store does not hold.
 */
export async function replaceDomainRecord(unit: UnitOfWork, current: SealedDomainRecord, record: SealedDomainRecord): Promise<boolean> {
  const stored = await unit.settings.getSetting(CUSTODY_SETTINGS.domain);
  const parsed = stored === undefined ? undefined : parseRecord(stored);
  if (stored === undefined || parsed?.domainId !== current.domainId || parsed.activated !== current.activated) return false;
  return unit.settings.replaceSetting(CUSTODY_SETTINGS.domain, stored, JSON.stringify(record));
}

/** Refuses a provider of another kind than the one that wraps the stored domain (before it is even opened). */
export function assertHeldBy(record: SealedDomainRecord, kind: UnsealProviderKind): void {
  if (record.key.provider !== kind) {
    throw new UnsealError(`This instance's domain key is held by the '${record.key.provider}' unseal provider; start with --unseal ${record.key.provider}`);
  }
}

/** Opens the record a provider can open, or throws UnsealError. */
export async function unwrapDomain(record: SealedDomainRecord, provider: UnsealProvider): Promise<DomainKey> {
  assertHeldBy(record, provider.kind);
  const bytes = await provider.unwrap(record.key);
  try {
    const domain = domainKeyFromBytes(bytes);
    if (domain.id !== record.domainId) throw new UnsealError(`The stored domain key does not match its domain id ${record.domainId.slice(0, 8)}: the record is damaged`);
    return domain;
  } finally {
    bytes.fill(0);
  }
}

export async function openSealedDomain(store: Store, provider: UnsealProvider, options: OpenDomainOptions): Promise<OpenedDomain> {
  const existing = await readDomainRecord(store.reader.settings);
  if (existing !== undefined) {
    const domain = await unwrapDomain(existing, provider);
    if (options.initialize) removeMigratedKekFile(options.legacyKekFile, domain);
    return { domain, record: existing };
  }
  if (!options.initialize) throw new UnsealError('This instance has no security domain yet; the primary process creates it');

  const legacyFingerprint = await store.reader.settings.getSetting(CUSTODY_SETTINGS.legacyKekFingerprint);
  const migrating = legacyFingerprint !== undefined;
  const keyBytes = migrating ? readLegacyKek(options.legacyKekFile, legacyFingerprint, store.backend) : randomBytes(DOMAIN_KEY_BYTES);
  try {
    const domain = domainKeyFromBytes(keyBytes);
    const record: SealedDomainRecord = {
      version: 1,
      domainId: domain.id,
      key: await provider.wrap(keyBytes),
      activated: migrating || !options.requireActivation,
    };
    const stored = await store.transaction((unit) => unit.settings.putSettingIfAbsent(CUSTODY_SETTINGS.domain, JSON.stringify(record)));
    const winner = parseRecord(stored);
    if (winner.domainId !== record.domainId) {
      // Another node created the domain first: open theirs.
      return { domain: await unwrapDomain(winner, provider), record: winner };
    }
    if (migrating) removeMigratedKekFile(options.legacyKekFile, domain);
    return { domain, record, migratedFrom: migrating ? options.legacyKekFile : undefined };
  } finally {
    keyBytes.fill(0);
  }
}

/** The earlier release's key-encryption key, checked against the fingerprint its store recorded. */
function readLegacyKek(path: string, fingerprint: string, backend: string): Buffer {
  if (!existsSync(path)) {
    throw new UnsealError(
      `This ${backend} store was made by an earlier Strongroom release, whose keys are sealed under its key-encryption-key file; ` +
        `${path} is missing (restore it, or name it with --kek-file) so that it can be migrated into the security domain`,
    );
  }
  const key = readFileSync(path);
  if (key.length !== DOMAIN_KEY_BYTES || legacyKekFingerprint(key) !== fingerprint) {
    throw new UnsealError(
      `${path} is not the key-encryption key this store was created with (the store expects fingerprint ${fingerprint.slice(0, 8)})`,
    );
  }
  return key;
}

/** Removes an earlier release's key-encryption-key file once the domain it became is stored wrapped. */
function removeMigratedKekFile(path: string, domain: DomainKey): void {
  if (!existsSync(path)) return;
  const key = readFileSync(path);
  try {
    if (key.length === DOMAIN_KEY_BYTES && domainKeyFromBytes(key).id === domain.id) rmSync(path);
  } finally {
    key.fill(0);
  }
}

function parseRecord(raw: string): SealedDomainRecord {
  const record = JSON.parse(raw) as SealedDomainRecord;
  if (record.version !== 1 || typeof record.domainId !== 'string' || typeof record.key?.wrapped !== 'string') {
    throw new UnsealError(`The stored security domain record has an unknown format (version ${String(record.version)}); is this an older Strongroom?`);
  }
  return record;
}

export type { UnsealProviderKind };
