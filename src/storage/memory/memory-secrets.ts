/**
 * The secret repository over the in-memory state, the same pattern as memory-keys.ts: reads look at a state,
 * every write is a pure function of a state (`SecretWrites`), run on a unit's working copy and again at commit.
 */
import type { Deleted, DeletionInfo, SecretVersion, SecretVersionMeta, SecretVersionPatch, WholeSecret } from '../../domain/secrets/secret-model.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { ConcurrentChangeError } from '../store-errors.ts';
import type { AddVersionOutcome, Page, PageRequest, SecretReader, SecretRepository } from '../store.ts';
import type { MemoryState, SecretEntry } from './memory-state.ts';

type Write<R> = (state: MemoryState) => R;

export function memorySecretReader(state: () => MemoryState): SecretReader {
  return {
    async getSecretVersion(name, version) {
      const entry = state().secrets.get(name.toLowerCase());
      if (entry === undefined || entry.deletion !== undefined) return undefined;
      const stored = version === undefined ? entry.versions.at(-1) : entry.versions.find((v) => v.version === version.toLowerCase());
      return stored === undefined ? undefined : withName(entry, stored.record);
    },
    listSecrets: async (page) => pageOfSecrets(state(), page, false, (entry) => metaOf(latest(entry))),
    async listSecretVersions(name, page) {
      const entry = state().secrets.get(name.toLowerCase());
      if (entry === undefined || entry.deletion !== undefined) return undefined;
      const after = Number(page.after ?? 0);
      const rows = entry.versions.filter((stored) => stored.seq > after).slice(0, page.limit + 1);
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      const result: Page<SecretVersionMeta> = { items: items.map((stored) => metaOf(withName(entry, stored.record))) };
      return rows.length > page.limit && last !== undefined ? { ...result, next: String(last.seq) } : result;
    },
    async getDeletedSecret(name) {
      const entry = state().secrets.get(name.toLowerCase());
      return entry?.deletion === undefined ? undefined : { ...latest(entry), deletion: entry.deletion };
    },
    listDeletedSecrets: async (page) => pageOfSecrets(state(), page, true, (entry) => ({ ...metaOf(latest(entry)), deletion: entry.deletion as DeletionInfo })),
    async getSecretWithVersions(name): Promise<WholeSecret | undefined> {
      const entry = state().secrets.get(name.toLowerCase());
      if (entry === undefined) return undefined;
      const versions = entry.versions.map((stored) => withName(entry, stored.record));
      return entry.deletion === undefined ? { name: entry.name, versions } : { name: entry.name, versions, deletion: entry.deletion };
    },
  };
}

export function memorySecretRepository(reader: SecretReader, perform: <R>(write: Write<R>) => R): SecretRepository {
  return {
    getSecretVersion: (name, version) => reader.getSecretVersion(name, version),
    listSecrets: (page) => reader.listSecrets(page),
    listSecretVersions: (name, page) => reader.listSecretVersions(name, page),
    getDeletedSecret: (name) => reader.getDeletedSecret(name),
    listDeletedSecrets: (page) => reader.listDeletedSecrets(page),
    getSecretWithVersions: (name) => reader.getSecretWithVersions(name),
    addSecretVersion: async (record) => perform(SecretWrites.add(record)),
    updateSecretVersion: async (name, version, expected, patch) => perform(SecretWrites.update(name, version, expected, patch)),
    deleteSecret: async (name, deletion) => perform(SecretWrites.delete(name, deletion)),
    recoverDeletedSecret: async (name) => perform(SecretWrites.recover(name)),
    purgeDeletedSecret: async (name) => perform(SecretWrites.purge(name)),
    purgeExpiredSecrets: async (now) => perform(SecretWrites.purgeExpired(now)),
  };
}

const SecretWrites = {
  add: (record: SecretVersion) => (state: MemoryState): AddVersionOutcome => {
    const nameLc = record.name.toLowerCase();
    const entry = state.secrets.get(nameLc);
    if (entry?.deletion !== undefined) return 'name-is-deleted';
    if (entry?.versions.some((stored) => stored.version === record.version.toLowerCase())) {
      throw new Error('UNIQUE constraint failed: a secret version with this id exists');
    }
    state.seq += 1;
    const stored = { seq: state.seq, version: record.version.toLowerCase(), record: Object.freeze({ ...record, rowVersion: 1 }) };
    state.secrets.set(nameLc, { name: entry?.name ?? record.name, deletion: undefined, versions: [...(entry?.versions ?? []), stored] });
    return 'added';
  },

  update: (name: string, version: string, expected: number, patch: SecretVersionPatch) => (state: MemoryState): SecretVersion | undefined => {
    const nameLc = name.toLowerCase();
    const entry = state.secrets.get(nameLc);
    if (entry === undefined || entry.deletion !== undefined) return undefined;
    const index = entry.versions.findIndex((stored) => stored.version === version.toLowerCase());
    const current = entry.versions[index];
    if (current === undefined) return undefined;
    if (current.record.rowVersion !== expected) throw new ConcurrentChangeError(`secret ${name}/${version}`);
    const updated = Object.freeze(applyPatch(current.record, patch));
    const versions = [...entry.versions];
    versions[index] = { ...current, record: updated };
    state.secrets.set(nameLc, { ...entry, versions });
    return withName(entry, updated);
  },

  delete: (name: string, deletion: DeletionInfo) => (state: MemoryState): Deleted<SecretVersion> | undefined => {
    const entry = state.secrets.get(name.toLowerCase());
    if (entry === undefined || entry.deletion !== undefined) return undefined;
    state.secrets.set(name.toLowerCase(), { ...entry, deletion });
    return { ...latest(entry), deletion };
  },

  recover: (name: string) => (state: MemoryState): SecretVersion | undefined => {
    const entry = state.secrets.get(name.toLowerCase());
    if (entry?.deletion === undefined) return undefined;
    state.secrets.set(name.toLowerCase(), { ...entry, deletion: undefined });
    return latest(entry);
  },

  purge: (name: string) => (state: MemoryState): boolean => {
    const entry = state.secrets.get(name.toLowerCase());
    if (entry?.deletion === undefined) return false;
    state.secrets.delete(name.toLowerCase());
    return true;
  },

  purgeExpired: (now: IntDate) => (state: MemoryState): string[] => {
    const purged: Array<[string, string]> = [];
    for (const [nameLc, entry] of state.secrets) {
      if (entry.deletion !== undefined && entry.deletion.scheduledPurgeDate <= now) {
        state.secrets.delete(nameLc);
        purged.push([nameLc, entry.name]);
      }
    }
    return purged.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, name]) => name);
  },
};

/** Listings carry no value, sealed or not, as the databases' (which never select it). */
function metaOf(record: SecretVersion): SecretVersionMeta {
  const { sealedValue: _sealed, rowVersion: _row, ...meta } = record;
  return meta;
}

function latest(entry: SecretEntry): SecretVersion {
  const stored = entry.versions.at(-1);
  if (stored === undefined) throw new TypeError('memory store: a secret without versions');
  return withName(entry, stored.record);
}

/** Versions keep the secret's display name (the name it was first created with). */
function withName(entry: SecretEntry, record: SecretVersion): SecretVersion {
  return record.name === entry.name ? record : { ...record, name: entry.name };
}

function applyPatch(record: SecretVersion, patch: SecretVersionPatch): SecretVersion {
  const attributes = { ...record.attributes, updated: patch.updated };
  if (patch.enabled !== undefined) attributes.enabled = patch.enabled;
  if (patch.nbf !== undefined) attributes.nbf = patch.nbf ?? undefined;
  if (patch.exp !== undefined) attributes.exp = patch.exp ?? undefined;
  return {
    ...record,
    attributes,
    contentType: patch.contentType ?? record.contentType,
    tags: patch.tags ?? record.tags,
    rowVersion: record.rowVersion + 1,
  };
}

function pageOfSecrets<T>(state: MemoryState, page: PageRequest, deleted: boolean, map: (entry: SecretEntry) => T): Page<T> {
  const names = [...state.secrets.keys()]
    .filter((nameLc) => (state.secrets.get(nameLc)?.deletion !== undefined) === deleted && nameLc > (page.after ?? ''))
    .sort()
    .slice(0, page.limit + 1);
  const items = names.slice(0, page.limit);
  const entries = items.map((nameLc) => state.secrets.get(nameLc) as SecretEntry);
  const last = items.at(-1);
  return names.length > page.limit && last !== undefined ? { items: entries.map(map), next: last } : { items: entries.map(map) };
}
