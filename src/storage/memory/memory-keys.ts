/**
 * The key repository over the in-memory state. Reads look at a state; every write is a function of a state
 * (`KeyWrites`), so that the store can run it on a unit's working copy and again, at commit, on the live state.
 */
import type { Deleted, DeletionInfo, KeyVersion, KeyVersionMeta, KeyVersionPatch } from '../../domain/keys/key-model.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { ConcurrentChangeError } from '../store-errors.ts';
import type { AddVersionOutcome, KeyObjectLimits, KeyReader, LimitRefusal, Page, PageRequest, WholeKey } from '../store.ts';
import { keyLimitRefusal } from '../object-limit-check.ts';
import type { KeyEntry, MemoryState } from './memory-state.ts';

export class MemoryKeyReader implements KeyReader {
  readonly #state: () => MemoryState;

  constructor(state: () => MemoryState) {
    this.#state = state;
  }

  async getKeyVersion(name: string, version?: string): Promise<KeyVersion | undefined> {
    const entry = this.#state().keys.get(name.toLowerCase());
    if (entry === undefined || entry.deletion !== undefined) return undefined;
    const stored = findVersion(entry, version);
    return stored === undefined ? undefined : withName(entry, stored.record);
  }

  async listKeys(page: PageRequest): Promise<Page<KeyVersionMeta>> {
    return pageOfKeys(this.#state(), page, false, (entry) => latest(entry));
  }

  async listKeyVersions(name: string, page: PageRequest): Promise<Page<KeyVersionMeta> | undefined> {
    const entry = this.#state().keys.get(name.toLowerCase());
    if (entry === undefined || entry.deletion !== undefined) return undefined;
    const after = Number(page.after ?? 0);
    const rows = entry.versions.filter((stored) => stored.seq > after).slice(0, page.limit + 1);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    const page_ = { items: items.map((stored) => withName(entry, stored.record)) };
    return rows.length > page.limit && last !== undefined ? { ...page_, next: String(last.seq) } : page_;
  }

  async getDeletedKey(name: string): Promise<Deleted<KeyVersion> | undefined> {
    const entry = this.#state().keys.get(name.toLowerCase());
    return entry?.deletion === undefined ? undefined : { ...latest(entry), deletion: entry.deletion };
  }

  async getKeyWithVersions(name: string): Promise<WholeKey | undefined> {
    const entry = this.#state().keys.get(name.toLowerCase());
    if (entry === undefined) return undefined;
    const versions = entry.versions.map((stored) => withName(entry, stored.record));
    return entry.deletion === undefined ? { name: entry.name, versions } : { name: entry.name, versions, deletion: entry.deletion };
  }

  async listDeletedKeys(page: PageRequest): Promise<Page<Deleted<KeyVersionMeta>>> {
    return pageOfKeys(this.#state(), page, true, (entry) => ({ ...latest(entry), deletion: entry.deletion as DeletionInfo }));
  }
}

/** The writes, each a pure function of the state it is applied to (plus its arguments). */
export const KeyWrites = {
  addKeyVersion: (record: KeyVersion, limits?: KeyObjectLimits) => (state: MemoryState): AddVersionOutcome | LimitRefusal => {
    const nameLc = record.name.toLowerCase();
    const entry = state.keys.get(nameLc);
    if (entry?.deletion !== undefined) return 'name-is-deleted';
    // Replayed on the live state at commit: a concurrent unit's addition changes the outcome, and this unit retries.
    const refusal = limits && keyLimitRefusal(limits, record.family, {
      keyExists: entry !== undefined,
      keys: () => state.keys.size,
      versionsOfKey: () => entry?.versions.length ?? 0,
      versionsByFamily: () => versionsByFamily(state),
    });
    if (refusal) return refusal;
    if (entry?.versions.some((stored) => stored.version === record.version.toLowerCase())) {
      throw new Error('UNIQUE constraint failed: a key version with this id exists');
    }
    state.seq += 1;
    // As the databases' column defaults do: absent trusted is false, absent wrapWithTrusted true.
    const attributes = { ...record.attributes, trusted: record.attributes.trusted === true, wrapWithTrusted: record.attributes.wrapWithTrusted !== false };
    const stored = { seq: state.seq, record: Object.freeze({ ...record, attributes, rowVersion: 1 }), version: record.version.toLowerCase() };
    state.keys.set(nameLc, {
      name: entry?.name ?? record.name,
      deletion: undefined,
      versions: [...(entry?.versions ?? []), stored],
    });
    return 'added';
  },

  updateKeyVersion: (name: string, version: string, expected: number, patch: KeyVersionPatch) => (state: MemoryState): KeyVersion | undefined => {
    const nameLc = name.toLowerCase();
    const entry = state.keys.get(nameLc);
    if (entry === undefined || entry.deletion !== undefined) return undefined;
    const index = entry.versions.findIndex((stored) => stored.version === version.toLowerCase());
    const current = entry.versions[index];
    if (current === undefined) return undefined;
    if (current.record.rowVersion !== expected) throw new ConcurrentChangeError(`key ${name}/${version}`);
    const updated = Object.freeze(applyPatch(current.record, patch));
    const versions = [...entry.versions];
    versions[index] = { ...current, record: updated };
    state.keys.set(nameLc, { ...entry, versions });
    return withName(entry, updated);
  },

  deleteKey: (name: string, deletion: DeletionInfo) => (state: MemoryState): Deleted<KeyVersion> | undefined => {
    const entry = state.keys.get(name.toLowerCase());
    if (entry === undefined || entry.deletion !== undefined) return undefined;
    state.keys.set(name.toLowerCase(), { ...entry, deletion });
    return { ...latest(entry), deletion };
  },

  recoverDeletedKey: (name: string) => (state: MemoryState): KeyVersion | undefined => {
    const entry = state.keys.get(name.toLowerCase());
    if (entry?.deletion === undefined) return undefined;
    state.keys.set(name.toLowerCase(), { ...entry, deletion: undefined });
    return latest(entry);
  },

  purgeDeletedKey: (name: string) => (state: MemoryState): boolean => {
    const entry = state.keys.get(name.toLowerCase());
    if (entry?.deletion === undefined) return false;
    state.keys.delete(name.toLowerCase());
    // A purge takes the key's rotation policy with it (the databases cascade).
    state.rotationPolicies.delete(name.toLowerCase());
    return true;
  },

  purgeExpiredKeys: (now: IntDate) => (state: MemoryState): string[] => {
    const purged: string[] = [];
    for (const [nameLc, entry] of state.keys) {
      if (entry.deletion !== undefined && entry.deletion.scheduledPurgeDate <= now) {
        state.keys.delete(nameLc);
        state.rotationPolicies.delete(nameLc);
        purged.push(entry.name);
      }
    }
    return purged.sort();
  },
};

function versionsByFamily(state: MemoryState): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of state.keys.values()) {
    for (const stored of entry.versions) counts[stored.record.family] = (counts[stored.record.family] ?? 0) + 1;
  }
  return counts;
}

function findVersion(entry: KeyEntry, version: string | undefined) {
  return version === undefined ? entry.versions.at(-1) : entry.versions.find((stored) => stored.version === version.toLowerCase());
}

function latest(entry: KeyEntry): KeyVersion {
  const stored = entry.versions.at(-1);
  if (stored === undefined) throw new TypeError('memory store: a key without versions');
  return withName(entry, stored.record);
}

/** Versions keep the key's display name (the name it was first created with). */
function withName(entry: KeyEntry, record: KeyVersion): KeyVersion {
  return record.name === entry.name ? record : { ...record, name: entry.name };
}

function applyPatch(record: KeyVersion, patch: KeyVersionPatch): KeyVersion {
  const attributes = { ...record.attributes, updated: patch.updated };
  if (patch.enabled !== undefined) attributes.enabled = patch.enabled;
  if (patch.exportable !== undefined) attributes.exportable = patch.exportable;
  if (patch.trusted !== undefined) attributes.trusted = patch.trusted;
  if (patch.wrapWithTrusted !== undefined) attributes.wrapWithTrusted = patch.wrapWithTrusted;
  if (patch.nbf !== undefined) attributes.nbf = patch.nbf ?? undefined;
  if (patch.exp !== undefined) attributes.exp = patch.exp ?? undefined;
  return {
    ...record,
    attributes,
    keyOps: patch.keyOps ?? record.keyOps,
    tags: patch.tags ?? record.tags,
    releasePolicy: patch.releasePolicy ?? record.releasePolicy,
    rowVersion: record.rowVersion + 1,
  };
}

function pageOfKeys<T>(state: MemoryState, page: PageRequest, deleted: boolean, map: (entry: KeyEntry) => T): Page<T> {
  const names = [...state.keys.keys()]
    .filter((nameLc) => (state.keys.get(nameLc)?.deletion !== undefined) === deleted && nameLc > (page.after ?? ''))
    .sort()
    .slice(0, page.limit + 1);
  const items = names.slice(0, page.limit);
  const entries = items.map((nameLc) => state.keys.get(nameLc) as KeyEntry);
  const last = items.at(-1);
  return names.length > page.limit && last !== undefined ? { items: entries.map(map), next: last } : { items: entries.map(map) };
}
