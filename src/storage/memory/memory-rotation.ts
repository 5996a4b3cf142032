/**
 * Rotation policies and the key-event outbox over the in-memory state: reads look at a state, writes are
 * functions of a state (so the store can replay them at commit, as for keys).
 */
import type { KeyEventAttempt, KeyEventRecord } from '../../domain/events/key-event-record.ts';
import type { RotationCandidate, RotationPolicy, StoredRotationPolicy } from '../../domain/keys/rotation-policy.ts';
import type { IntDate } from '../../lib/intdate.ts';
import type { KeyEventReader, Page, PageRequest, RotationPolicyReader } from '../store.ts';
import type { KeyEntry, MemoryState, PolicyEntry } from './memory-state.ts';

function activeKey(state: MemoryState, name: string): KeyEntry | undefined {
  const entry = state.keys.get(name.toLowerCase());
  return entry === undefined || entry.deletion !== undefined ? undefined : entry;
}

function stored(entry: KeyEntry, policy: PolicyEntry): StoredRotationPolicy {
  return { name: entry.name, policy: policy.policy, created: policy.created, updated: policy.updated };
}

export function memoryRotationReader(state: () => MemoryState): RotationPolicyReader {
  return {
    getRotationPolicy: async (name) => {
      const entry = activeKey(state(), name);
      const policy = state().rotationPolicies.get(name.toLowerCase());
      return entry === undefined || policy === undefined ? undefined : stored(entry, policy);
    },
    listRotationCandidates: async (page: PageRequest): Promise<Page<RotationCandidate>> => {
      const current = state();
      const names = [...current.rotationPolicies.keys()]
        .filter((nameLc) => nameLc > (page.after ?? '') && activeKey(current, nameLc) !== undefined && (current.rotationPolicies.get(nameLc)?.policy.lifetimeActions.length ?? 0) > 0)
        .sort()
        .slice(0, page.limit + 1);
      const items = names.slice(0, page.limit).map((nameLc) => candidate(current.keys.get(nameLc) as KeyEntry, current.rotationPolicies.get(nameLc) as PolicyEntry));
      const last = names[page.limit - 1];
      return names.length > page.limit && last !== undefined ? { items, next: last } : { items };
    },
  };
}

function candidate(entry: KeyEntry, policy: PolicyEntry): RotationCandidate {
  const latest = entry.versions.at(-1)?.record;
  if (latest === undefined) throw new TypeError('memory store: a key without versions');
  return {
    name: entry.name,
    policy: policy.policy,
    latest: { version: latest.version, created: latest.attributes.created, exp: latest.attributes.exp },
    rotatedFrom: policy.rotatedFrom,
    notifiedVersion: policy.notifiedVersion,
  };
}

export const RotationWrites = {
  put: (name: string, policy: RotationPolicy, now: IntDate) => (state: MemoryState): StoredRotationPolicy | undefined => {
    const entry = activeKey(state, name);
    if (entry === undefined) return undefined;
    const existing = state.rotationPolicies.get(name.toLowerCase());
    const next: PolicyEntry = { ...existing, policy, created: existing?.created ?? now, updated: now };
    state.rotationPolicies.set(name.toLowerCase(), next);
    return stored(entry, next);
  },
  claim: (name: string, version: string, mark: 'rotatedFrom' | 'notifiedVersion') => (state: MemoryState): boolean => {
    const existing = state.rotationPolicies.get(name.toLowerCase());
    if (existing === undefined || existing[mark] === version) return false;
    state.rotationPolicies.set(name.toLowerCase(), { ...existing, [mark]: version });
    return true;
  },
  addEvent: (event: { id: string; time: IntDate; body: string }) => (state: MemoryState): void => {
    if (state.keyEvents.has(event.id)) throw new Error('UNIQUE constraint failed: key_events.id');
    state.keyEvents.set(event.id, { ...event, status: 'pending', attempts: 0, nextAttempt: event.time, lastError: undefined, deliveredAt: undefined });
  },
  recordAttempt: (id: string, attempt: KeyEventAttempt) => (state: MemoryState): boolean => {
    const existing = state.keyEvents.get(id);
    if (existing?.status !== 'pending') return false;
    state.keyEvents.set(id, {
      ...existing,
      status: attempt.status,
      attempts: attempt.attempts,
      nextAttempt: attempt.nextAttempt,
      lastError: attempt.lastError,
      deliveredAt: attempt.deliveredAt,
    });
    return true;
  },
};

export function memoryKeyEventReader(state: () => MemoryState): KeyEventReader {
  return {
    listPendingKeyEvents: async (now, limit): Promise<KeyEventRecord[]> =>
      [...state().keyEvents.values()]
        .filter((event) => event.status === 'pending' && event.nextAttempt <= now)
        .sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit),
    getKeyEvent: async (id) => state().keyEvents.get(id),
  };
}
