/**
 * An in-memory store, for tests of the domain and the kernel: the same contract as the SQLite and PostgreSQL
 * backends, plus fault injection, so that a test can prove a failed operation leaves nothing behind.
 *
 * Units of work run concurrently, optimistically, like a row-versioned database under read committed: a unit
 * reads and writes a private copy of the state; at commit its writes are applied again, in order, to the live
 * state, and if any of them comes out differently there (a row version changed, a name was deleted meanwhile)
 * the unit fails with ConcurrentChangeError and the live state is untouched. Faults: fail the Nth write from
 * now, or fail the next commit.
 */
import type { Principal } from '../../domain/principals/principal-model.ts';
import type { JobRecord, JobRun } from '../../jobs/job-model.ts';
import type { IntDate } from '../../lib/intdate.ts';
import { ConcurrentChangeError } from '../store-errors.ts';
import type { JobRepository, PrincipalRepository, Readers, RoleRepository, SettingsRepository, Store, UnitOfWork } from '../store.ts';
import { memoryAuditReader, memoryAuditRepository } from './memory-audit.ts';
import { memoryRoleReader, RoleWrites } from './memory-roles.ts';
import { KeyWrites, MemoryKeyReader } from './memory-keys.ts';
import { memorySecretReader, memorySecretRepository } from './memory-secrets.ts';
import { cloneState, emptyState, type MemoryState } from './memory-state.ts';
import { memoryKeyEventReader, memoryRotationReader, RotationWrites } from './memory-rotation.ts';

type Write<R> = (state: MemoryState) => R;

export class InjectedFault extends Error {
  constructor(where: string) {
    super(`injected storage fault (${where})`);
    this.name = 'InjectedFault';
  }
}

export class MemoryStore implements Store {
  readonly backend = 'memory';
  readonly reader: Readers;
  #live = emptyState();
  #failWriteIn: number | undefined;
  #failNextCommit = false;
  /** Committed units, for tests that count what was written. */
  commits = 0;

  constructor() {
    this.reader = readersOver(() => this.#live);
  }

  /** The `n`th write from now (1 = the next one) throws InjectedFault. */
  failWrite(n = 1): void {
    this.#failWriteIn = n;
  }

  /** The next unit of work that reaches its commit throws InjectedFault instead of committing. */
  failNextCommit(): void {
    this.#failNextCommit = true;
  }

  async transaction<T>(work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
    const working = cloneState(this.#live);
    const log: Array<{ write: Write<unknown>; outcome: string }> = [];
    const afterCommit: Array<() => void> = [];
    const perform = <R>(write: Write<R>): R => {
      this.#countWrite();
      const result = write(working);
      log.push({ write, outcome: canonical(result) });
      return result;
    };
    const result = await work({ ...unitOver(working, perform), afterCommit: (callback) => afterCommit.push(callback) });
    if (this.#failNextCommit) {
      this.#failNextCommit = false;
      throw new InjectedFault('commit');
    }
    const next = cloneState(this.#live);
    for (const entry of log) {
      if (canonical(entry.write(next)) !== entry.outcome) throw new ConcurrentChangeError('the state this unit read');
    }
    this.#live = next;
    this.commits += 1;
    for (const callback of afterCommit) callback();
    return result;
  }

  async checkHealth(): Promise<void> {}

  async close(): Promise<void> {}

  #countWrite(): void {
    if (this.#failWriteIn === undefined) return;
    this.#failWriteIn -= 1;
    if (this.#failWriteIn === 0) {
      this.#failWriteIn = undefined;
      throw new InjectedFault('write');
    }
  }
}

function readersOver(state: () => MemoryState): Readers {
  return {
    keys: new MemoryKeyReader(state),
    secrets: memorySecretReader(state),
    roles: memoryRoleReader(state),
    audit: memoryAuditReader(state),
    principals: {
      getPrincipal: async (id) => state().principals.get(id),
      listPrincipals: async () => [...state().principals.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    },
    settings: { getSetting: async (name) => state().settings.get(name) },
    jobs: { getJob: async (name) => state().jobs.get(name) },
    rotationPolicies: memoryRotationReader(state),
    keyEvents: memoryKeyEventReader(state),
  };
}

function unitOver(working: MemoryState, perform: <R>(write: Write<R>) => R): Omit<UnitOfWork, 'afterCommit'> {
  const readers = readersOver(() => working);
  const principals: PrincipalRepository = {
    ...readers.principals,
    addPrincipal: async (principal) => perform(PrincipalWrites.add(principal)),
    deletePrincipal: async (id) => perform(PrincipalWrites.delete(id)),
    replaceSecret: async (id, secretHash) => perform(PrincipalWrites.replaceSecret(id, secretHash)),
  };
  const settings: SettingsRepository = {
    ...readers.settings,
    putSetting: async (name, value) => perform((state) => void state.settings.set(name, value)),
    replaceSetting: async (name, expected, value) => perform((state) => {
      if (state.settings.get(name) !== expected) return false;
      state.settings.set(name, value);
      return true;
    }),
    putSettingIfAbsent: async (name, value) => perform((state) => {
      if (!state.settings.has(name)) state.settings.set(name, value);
      return state.settings.get(name) as string;
    }),
  };
  const jobs: JobRepository = {
    ...readers.jobs,
    tryAcquireLease: async (name, holder, now, until, options) => perform(JobWrites.acquire(name, holder, now, until, options?.evenIfNotDue === true)),
    recordRun: async (name, holder, run) => perform(JobWrites.record(name, holder, run)),
  };
  const roles: RoleRepository = {
    ...readers.roles,
    putRoleDefinition: async (definition, maxCustom) => perform(RoleWrites.putDefinition(definition, maxCustom)),
    deleteRoleDefinition: async (name) => perform(RoleWrites.deleteDefinition(name)),
    addRoleAssignment: async (assignment, maxAtScope) => perform(RoleWrites.addAssignment(assignment, maxAtScope)),
    deleteRoleAssignment: async (name) => perform(RoleWrites.deleteAssignment(name)),
    isRoleAssigned: async (name) => perform(RoleWrites.isAssigned(name)),
  };
  const keyReader = readers.keys;
  return {
    roles,
    audit: memoryAuditRepository(readers.audit, perform),
    keys: {
      getKeyVersion: (name, version) => keyReader.getKeyVersion(name, version),
      listKeys: (page) => keyReader.listKeys(page),
      listKeyVersions: (name, page) => keyReader.listKeyVersions(name, page),
      getDeletedKey: (name) => keyReader.getDeletedKey(name),
      listDeletedKeys: (page) => keyReader.listDeletedKeys(page),
      getKeyWithVersions: (name) => keyReader.getKeyWithVersions(name),
      addKeyVersion: async (record, limits) => perform(KeyWrites.addKeyVersion(record, limits)),
      updateKeyVersion: async (name, version, expected, patch) => perform(KeyWrites.updateKeyVersion(name, version, expected, patch)),
      deleteKey: async (name, deletion) => perform(KeyWrites.deleteKey(name, deletion)),
      recoverDeletedKey: async (name) => perform(KeyWrites.recoverDeletedKey(name)),
      purgeDeletedKey: async (name) => perform(KeyWrites.purgeDeletedKey(name)),
      purgeExpiredKeys: async (now) => perform(KeyWrites.purgeExpiredKeys(now)),
    },
    secrets: memorySecretRepository(readers.secrets, perform),
    principals,
    settings,
    jobs,
    rotationPolicies: {
      ...readers.rotationPolicies,
      putRotationPolicy: async (name, policy, now) => perform(RotationWrites.put(name, policy, now)),
      claimRotation: async (name, version) => perform(RotationWrites.claim(name, version, 'rotatedFrom')),
      claimNotification: async (name, version) => perform(RotationWrites.claim(name, version, 'notifiedVersion')),
    },
    keyEvents: {
      ...readers.keyEvents,
      addKeyEvent: async (event) => perform(RotationWrites.addEvent(event)),
      recordKeyEventAttempt: async (id, attempt) => perform(RotationWrites.recordAttempt(id, attempt)),
    },
  };
}

const PrincipalWrites = {
  add: (principal: Principal) => (state: MemoryState): void => {
    if (state.principals.has(principal.id)) throw new Error('UNIQUE constraint failed: principals.id');
    state.principals.set(principal.id, Object.freeze({ ...principal }));
  },
  delete: (id: string) => (state: MemoryState): Principal | undefined => {
    const existing = state.principals.get(id);
    state.principals.delete(id);
    return existing;
  },
  replaceSecret: (id: string, secretHash: string) => (state: MemoryState): Principal | undefined => {
    const existing = state.principals.get(id);
    if (existing === undefined) return undefined;
    const replaced = Object.freeze({ ...existing, secretHash, generation: existing.generation + 1 });
    state.principals.set(id, replaced);
    return replaced;
  },
};

const JobWrites = {
  acquire: (name: string, holder: string, now: IntDate, until: IntDate, force: boolean) => (state: MemoryState): boolean => {
    const job: JobRecord = state.jobs.get(name) ?? { name };
    const due = force || job.nextRun === undefined || job.nextRun <= now;
    const free = due && (job.holder === undefined || (job.leaseExpires ?? 0) <= now || job.holder === holder);
    if (free) state.jobs.set(name, { ...job, holder, leaseExpires: until });
    return free;
  },
  record: (name: string, holder: string, run: JobRun) => (state: MemoryState): boolean => {
    const job = state.jobs.get(name);
    if (job?.holder !== holder) return false;
    state.jobs.set(name, {
      ...job,
      holder: undefined,
      leaseExpires: undefined,
      lastStarted: run.started,
      lastFinished: run.finished,
      lastOutcome: run.outcome,
      lastError: run.error,
      nextRun: run.nextRun,
      state: run.state ?? job.state,
    });
    return true;
  },
};

/** A write's outcome in a comparable form (records hold Buffers, which JSON renders deterministically). */
function canonical(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}
