/**
 * The audit chains in the in-memory store. An append is a write like any other: applied to the unit's copy,
 * then applied again to the live state at commit. The records are built once (a checkpoint's signature is not
 * deterministic); at commit they must still continue the live head, else another unit appended first and this
 * one fails with ConcurrentChangeError, like any other lost race.
 */
import type { AuditChainHead, AuditQuery, AuditRecord } from '../../domain/audit/audit-record.ts';
import { assertContinues } from '../audit-rows.ts';
import { ConcurrentChangeError } from '../store-errors.ts';
import type { AuditReader, AuditRepository } from '../store.ts';
import type { MemoryState } from './memory-state.ts';

const GENESIS = '0'.repeat(64);

const order = (a: AuditRecord, b: AuditRecord) =>
  a.time - b.time || (a.chainId < b.chainId ? -1 : a.chainId > b.chainId ? 1 : 0) || a.seq - b.seq;

function matches(record: AuditRecord, query: AuditQuery): boolean {
  if (query.keyName !== undefined && record.keyName !== query.keyName.toLowerCase()) return false;
  if (query.principalId !== undefined && record.principalId !== query.principalId) return false;
  if (query.since !== undefined && record.time < query.since) return false;
  if (query.eventsOnly === true && record.kind !== 'event') return false;
  if (query.after !== undefined) {
    const after = { ...record, ...query.after } as AuditRecord;
    if (order(record, after) <= 0) return false;
  }
  return true;
}

export function memoryAuditReader(state: () => MemoryState): AuditReader {
  return {
    listAuditChains: async () => [...state().auditHeads.values()].sort((a, b) => (a.chainId < b.chainId ? -1 : a.chainId > b.chainId ? 1 : 0)),
    listAuditRecords: async (chainId, afterSeq, limit) =>
      (state().auditRecords.get(chainId) ?? []).filter((record) => record.seq > afterSeq).slice(0, limit),
    queryAuditRecords: async (query) =>
      [...state().auditRecords.values()].flat().filter((record) => matches(record, query)).sort(order).slice(0, query.limit),
  };
}

export function memoryAuditRepository(reader: AuditReader, perform: <R>(write: (state: MemoryState) => R) => R): AuditRepository {
  return {
    ...reader,
    appendAuditRecords: async (chainId, build) => {
      let built: readonly AuditRecord[] | undefined;
      perform((state: MemoryState): string => {
        const head: AuditChainHead | undefined = state.auditHeads.get(chainId);
        if (built === undefined) {
          built = build(head);
          assertContinues(chainId, head, built);
        } else if (built.length > 0 && (built[0]?.seq !== (head?.seq ?? 0) + 1 || built[0]?.prevHash !== (head?.hash ?? GENESIS))) {
          throw new ConcurrentChangeError(`the head of audit chain ${chainId}`);
        }
        const last = built.at(-1);
        if (last === undefined) return 'nothing';
        state.auditRecords.set(chainId, [...(state.auditRecords.get(chainId) ?? []), ...built.map((r) => Object.freeze({ ...r }))]);
        state.auditHeads.set(chainId, { chainId, seq: last.seq, hash: last.hash });
        return `${last.seq}:${last.hash}`;
      });
    },
  };
}
