/**
 * Issue 10, the audit log on the in-memory store: the canonical encoding and hash, every kernel operation's
 * Managed HSM name, what a record may hold, and verification (an edited, deleted, reordered or truncated record
 * is named by chain and sequence number; checkpoints verify with the stored public key).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { AUDIT_OPERATION_NAMES } from '../../../src/domain/audit/audit-operation-names.ts';
import { canonicalJson, GENESIS_HASH, recordHash } from '../../../src/domain/audit/audit-hash.ts';
import { AuditLog } from '../../../src/domain/audit/audit-log.ts';
import type { AuditRecord } from '../../../src/domain/audit/audit-record.ts';
import { verifyAuditLog } from '../../../src/domain/audit/audit-verify.ts';
import type { AuditEvent } from '../../../src/domain/kernel/audit.ts';
import { OPERATIONS } from '../../../src/domain/kernel/catalogue.ts';
import { RootOfTrust } from '../../../src/keystore/root-of-trust.ts';
import { sealingKey } from '../../../src/keystore/sealing-key.ts';
import { MemoryStore } from '../../../src/storage/memory/memory-store.ts';
import type { AuditChainHead } from '../../../src/domain/audit/audit-record.ts';
import type { Readers } from '../../../src/storage/store.ts';

function root(): RootOfTrust {
  const r = new RootOfTrust('node-identity');
  r.unlock(sealingKey(randomBytes(32)));
  return r;
}

function event(operation: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    time: 1_800_000_000,
    operation,
    dataAction: 'Microsoft.KeyVault/managedHsm/keys/sign/action',
    scope: '/keys/k1',
    outcome: 'success',
    caller: { id: 'principal-1', kind: 'service-principal' },
    channel: 'http',
    requestId: `r-${Math.random()}`,
    sourceAddress: '127.0.0.1',
    fields: { key: 'K1', version: 'abc', alg: 'ES256' },
    ...overrides,
  };
}

async function filledLog(options: { checkpointEvery?: number } = {}) {
  const store = new MemoryStore();
  const log = new AuditLog({ store, root: root(), flushIntervalMs: 5, checkpointEvery: options.checkpointEvery ?? 1000, onError: (e) => { throw e; } });
  await store.transaction(async (unit) => log.record(event('createKey'), unit));
  for (let i = 0; i < 5; i++) await log.record(event('sign'));
  await log.record(event('getKey', { outcome: 'failure', errorCode: 'KeyNotFound' }));
  await log.flush();
  await store.transaction(async (unit) => log.record(event('deleteKey'), unit));
  await log.close();
  return { store, log };
}

/** A reader over copies of the stored records, for tampering. */
async function tamperable(store: MemoryStore) {
  const [head] = await store.reader.audit.listAuditChains();
  assert.ok(head);
  const records: AuditRecord[] = await store.reader.audit.listAuditRecords(head.chainId, 0, 10_000);
  const heads: AuditChainHead[] = [head];
  const readers: Readers = {
    ...store.reader,
    audit: {
      listAuditChains: async () => heads,
      listAuditRecords: async (_chain, afterSeq, limit) => records.filter((r) => r.seq > afterSeq).slice(0, limit),
      queryAuditRecords: async () => records,
    },
  };
  return { records, heads, readers, chainId: head.chainId };
}

describe('audit records', () => {
  test('every operation of the catalogue has a Managed HSM operation name', () => {
    for (const name of Object.keys(OPERATIONS)) {
      assert.match(AUDIT_OPERATION_NAMES[name as keyof typeof OPERATIONS] ?? '', /^[A-Z][A-Za-z]+$/, name);
    }
    assert.equal(AUDIT_OPERATION_NAMES.createKey, 'KeyCreate');
    assert.equal(AUDIT_OPERATION_NAMES.sign, 'KeySign');
    assert.equal(AUDIT_OPERATION_NAMES.createRoleAssignment, 'RoleAssignmentCreate');
    assert.equal(AUDIT_OPERATION_NAMES.downloadSecurityDomain, 'SecurityDomainDownload');
  });

  test('canonical JSON sorts members and drops undefined; the hash covers every column', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, 'x'], c: undefined } }), '{"a":{"d":[1,"x"]},"b":1}');
    const base = { chainId: 'c', seq: 1, time: 5, kind: 'event' as const, operationName: 'KeyGet', principalId: 'p', keyName: 'k', body: '{}', prevHash: GENESIS_HASH };
    const hash = recordHash(base);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(recordHash({ ...base }), hash);
    for (const change of [{ seq: 2 }, { time: 6 }, { principalId: undefined }, { keyName: 'K' }, { body: '{ }' }, { prevHash: '1'.repeat(64) }, { operationName: 'KeySign' }]) {
      assert.notEqual(recordHash({ ...base, ...change }), hash, JSON.stringify(change));
    }
  });

  test('an event keeps identifiers only: fields outside the allowlist are dropped', async () => {
    const store = new MemoryStore();
    const log = new AuditLog({ store, root: root(), onError: (e) => { throw e; } });
    await log.record(event('sign', { fields: { key: 'k1', value: 'c2lnbmF0dXJl', digest: 'ZGlnZXN0', plaintext: 'secret' } as never }));
    await log.close();
    const records = await store.reader.audit.queryAuditRecords({ limit: 100 });
    const body = records.find((r) => r.kind === 'event')?.body ?? '';
    for (const forbidden of ['c2lnbmF0dXJl', 'ZGlnZXN0', 'secret', 'digest', 'plaintext']) assert.equal(body.includes(forbidden), false, forbidden);
    const parsed = JSON.parse(body);
    assert.equal(parsed.operationName, 'KeySign');
    assert.equal(parsed.identity.claim.oid, 'principal-1');
    assert.equal(parsed.properties.id, '/keys/k1');
  });
});

describe('the chain on the memory store', () => {
  test('writes commit in their unit, reads are flushed; the closed chain verifies', async () => {
    const { store, log } = await filledLog();
    const records = await store.reader.audit.listAuditRecords(log.chainId, 0, 100);
    assert.deepEqual(records.map((r) => r.operationName), ['AuditChainStart', 'KeyCreate', 'KeySign', 'KeySign', 'KeySign', 'KeySign', 'KeySign', 'KeyGet', 'KeyDelete', 'AuditCheckpoint']);
    assert.deepEqual(records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const report = await verifyAuditLog(store.reader);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.chains[0]?.closed, true);
    assert.equal(report.chains[0]?.unsignedTail, 0);
    assert.equal(JSON.parse(records[7]?.body ?? '').resultSignature, 'KeyNotFound');
  });

  test('a unit that rolls back leaves no record and no gap', async () => {
    const store = new MemoryStore();
    const log = new AuditLog({ store, root: root(), onError: (e) => { throw e; } });
    await store.transaction(async (unit) => log.record(event('createKey'), unit));
    await assert.rejects(store.transaction(async (unit) => { await log.record(event('updateKey'), unit); throw new Error('rolled back'); }));
    await store.transaction(async (unit) => log.record(event('deleteKey'), unit));
    await log.close();
    const records = await store.reader.audit.listAuditRecords(log.chainId, 0, 100);
    assert.deepEqual(records.map((r) => r.operationName), ['AuditChainStart', 'KeyCreate', 'KeyDelete', 'AuditCheckpoint']);
    assert.equal((await verifyAuditLog(store.reader)).ok, true);
  });

  test('checkpoints every N records', async () => {
    const { store, log } = await filledLog({ checkpointEvery: 3 });
    const records = await store.reader.audit.listAuditRecords(log.chainId, 0, 100);
    assert.ok(records.filter((r) => r.kind === 'checkpoint').length >= 2);
    assert.equal((await verifyAuditLog(store.reader)).ok, true);
  });

  test('an edited record is named', async () => {
    const { store } = await filledLog();
    const t = await tamperable(store);
    const index = t.records.findIndex((r) => r.seq === 4);
    t.records[index] = { ...t.records[index]!, body: t.records[index]!.body.replace('KeySign', 'KeyVerify') };
    const report = await verifyAuditLog(t.readers);
    assert.deepEqual([report.ok, report.firstBroken?.chainId, report.firstBroken?.seq], [false, t.chainId, 4]);
    assert.match(report.firstBroken?.reason ?? '', /changed/);
  });

  test('an edited record whose hash was recomputed breaks the link to the next', async () => {
    const { store } = await filledLog();
    const t = await tamperable(store);
    const index = t.records.findIndex((r) => r.seq === 4);
    const edited = { ...t.records[index]!, principalId: 'someone-else' };
    t.records[index] = { ...edited, hash: recordHash(edited) };
    assert.equal((await verifyAuditLog(t.readers)).firstBroken?.seq, 5);
  });

  test('a deleted record is named by the missing sequence number; reordering is caught', async () => {
    const { store } = await filledLog();
    const t = await tamperable(store);
    t.records.splice(t.records.findIndex((r) => r.seq === 6), 1);
    assert.deepEqual((await verifyAuditLog(t.readers)).firstBroken?.seq, 6);
    const u = await tamperable(store);
    const [a, b] = [u.records[3]!, u.records[4]!];
    u.records[3] = { ...b, seq: a.seq };
    u.records[4] = { ...a, seq: b.seq };
    assert.equal((await verifyAuditLog(u.readers)).firstBroken?.seq, a.seq);
  });

  test('truncation: against the head; and with the head rewritten, the chain is reported not closed', async () => {
    const { store } = await filledLog();
    const t = await tamperable(store);
    const last = t.records.length;
    t.records.splice(last - 3, 3);
    const report = await verifyAuditLog(t.readers);
    assert.equal(report.firstBroken?.seq, last - 2);
    assert.match(report.firstBroken?.reason ?? '', /truncated/);
    const kept = t.records.at(-1)!;
    t.heads[0] = { chainId: t.chainId, seq: kept.seq, hash: kept.hash };
    const rewritten = await verifyAuditLog(t.readers);
    assert.equal(rewritten.ok, true);
    assert.equal(rewritten.chains[0]?.closed, false);
    assert.ok((rewritten.chains[0]?.unsignedTail ?? 0) > 0);
  });

  test('a forged checkpoint (another key) is refused', async () => {
    const { store } = await filledLog();
    const other = await filledLog();
    const t = await tamperable(store);
    const forged = (await other.store.reader.audit.listAuditRecords(other.log.chainId, 0, 100)).at(-1)!;
    const index = t.records.length - 1;
    const original = t.records[index]!;
    const body = JSON.parse(forged.body);
    const replaced = { ...original, body: canonicalJson({ ...body, signedSeq: original.seq - 1, signedHash: original.prevHash }) };
    t.records[index] = { ...replaced, hash: recordHash(replaced) };
    t.heads[0] = { chainId: t.chainId, seq: original.seq, hash: t.records[index]!.hash };
    const report = await verifyAuditLog(t.readers);
    assert.equal(report.firstBroken?.seq, original.seq);
    assert.match(report.firstBroken?.reason ?? '', /audit key|signature/);
  });

  test('records appended after the heads were read (a running process) are left for the next run', async () => {
    const { store } = await filledLog();
    const t = await tamperable(store);
    const last = t.records.at(-1)!;
    t.heads[0] = { chainId: t.chainId, seq: last.seq - 2, hash: t.records.at(-3)!.hash };
    const report = await verifyAuditLog(t.readers);
    assert.equal(report.ok, true, JSON.stringify(report.firstBroken));
    assert.equal(report.chains[0]?.lastSeq, last.seq - 2);
  });
});

describe('record bodies', () => {
  test('are canonical JSON (what canonicalJson gives for the parsed body)', async () => {
    const { eventDraft, requestDraft } = await import('../../../src/domain/audit/audit-entry.ts');
    const drafts = [
      eventDraft(event('sign', { fields: { key: 'K1', version: 'v', alg: 'ES256', zeta: 'dropped', count: 3 } as never, durationMs: 1.23456 } as never), 1_800_000_000_123),
      eventDraft(event('getKey', { outcome: 'failure', errorCode: 'KeyNotFound', clientRequestId: 'c-1' }), 5),
      requestDraft({ operationName: 'KeyGet', statusCode: 401, errorCode: 'Unauthorized', requestId: 'r', keyName: 'K2', requestUri: '/keys/K2?api-version=7.6', durationMs: 2 }, 6),
      requestDraft({ operationName: 'Authentication', statusCode: 200, requestId: 'r2', principalId: 'p' }, 7),
    ];
    for (const draft of drafts) assert.equal(draft.body, canonicalJson(JSON.parse(draft.body)));
    assert.equal(drafts[2]?.keyName, 'k2');
  });
});
