/**
 * Verifying the audit log as stored: every chain, record by record, in sequence order.
 *
 *   sequence     1, 2, 3… with no gap (a deleted record is named by the sequence number that is missing)
 *   link         each record's prevHash is the previous record's hash (64 zeros for the first)
 *   content      each record's hash is the hash of its canonical encoding (an edited record is named)
 *   checkpoints  the audit key's signature over (chain, seq, hash) of the record before it
 *   head         the chain row's head (its writer's last append) is the last record: a chain that ends
 *                before its head was truncated, and the first missing record is named. Records past the
 *                head were appended after it was read (a running process) and are left to the next run.
 * A chain whose last record is a final checkpoint was closed by its process; otherwise (the process runs, or
 * stopped without closing it) the records after its last checkpoint are reported as an unsigned tail: their
 * truncation, with the head row rewritten to match, could not be detected.
 */
import type { Readers } from '../../storage/store.ts';
import { checkpointPayload, type CheckpointBody } from './audit-chain.ts';
import { GENESIS_HASH, recordHash } from './audit-hash.ts';
import { readAuditVerifier, type AuditVerifier } from './audit-key.ts';
import type { AuditChainHead, AuditRecord } from './audit-record.ts';

export interface BrokenRecord {
  chainId: string;
  seq: number;
  reason: string;
}

export interface ChainReport {
  chainId: string;
  records: number;
  lastSeq: number;
  checkpoints: number;
  lastCheckpointSeq: number;
  /** Its last record is a final checkpoint: the process closed the chain. */
  closed: boolean;
  /** Records after the last checkpoint (0 when closed). */
  unsignedTail: number;
  broken?: BrokenRecord | undefined;
}

export interface VerifyReport {
  ok: boolean;
  keyId?: string | undefined;
  chains: ChainReport[];
  /** The first broken record of the first broken chain. */
  firstBroken?: BrokenRecord | undefined;
}

const PAGE = 1000;

export async function verifyAuditLog(readers: Readers, options: { verifier?: AuditVerifier | undefined } = {}): Promise<VerifyReport> {
  const verifier = options.verifier ?? (await readAuditVerifier(readers.settings));
  const chains: ChainReport[] = [];
  for (const head of await readers.audit.listAuditChains()) chains.push(await verifyChain(readers, head, verifier));
  const firstBroken = chains.find((chain) => chain.broken !== undefined)?.broken;
  return { ok: firstBroken === undefined, keyId: verifier?.keyId, chains, firstBroken };
}

async function verifyChain(readers: Readers, head: AuditChainHead, verifier: AuditVerifier | undefined): Promise<ChainReport> {
  const report: ChainReport = { chainId: head.chainId, records: 0, lastSeq: 0, checkpoints: 0, lastCheckpointSeq: 0, closed: false, unsignedTail: 0 };
  let prevHash = GENESIS_HASH;
  let last: AuditRecord | undefined;
  const broken = (seq: number, reason: string) => {
    report.broken = { chainId: head.chainId, seq, reason };
    return report;
  };
  for (let afterSeq = 0; ; ) {
    const page = await readers.audit.listAuditRecords(head.chainId, afterSeq, PAGE);
    for (const record of page) {
      // Appended after the head was read (the chain's process is running): the next verification's.
      if (record.seq > head.seq) break;
      const expected = report.lastSeq + 1;
      if (record.seq !== expected) return broken(expected, `record ${expected} is missing (the next stored record is ${record.seq})`);
      if (record.prevHash !== prevHash) return broken(record.seq, `it does not link to record ${record.seq - 1} (prevHash differs)`);
      if (recordHash(record) !== record.hash) return broken(record.seq, 'its content does not match its hash (the record was changed)');
      if (record.seq === 1 && record.kind !== 'start') return broken(1, 'the chain does not begin with a start record');
      if (record.kind === 'checkpoint') {
        const problem = checkpointProblem(record, verifier);
        if (problem !== undefined) return broken(record.seq, problem);
        report.checkpoints += 1;
        report.lastCheckpointSeq = record.seq;
      }
      report.records += 1;
      report.lastSeq = record.seq;
      prevHash = record.hash;
      last = record;
    }
    if (page.length < PAGE || report.lastSeq >= head.seq) break;
    afterSeq = report.lastSeq;
  }
  if (head.seq > report.lastSeq) {
    return broken(report.lastSeq + 1, `the chain was truncated: records ${report.lastSeq + 1} to ${head.seq} are missing (its head records ${head.seq})`);
  }
  if (head.hash !== prevHash) return broken(head.seq, 'the chain head does not match its last record');
  report.closed = last?.kind === 'checkpoint' && (JSON.parse(last.body) as CheckpointBody).final === true;
  report.unsignedTail = report.lastSeq - report.lastCheckpointSeq;
  return report;
}

function checkpointProblem(record: AuditRecord, verifier: AuditVerifier | undefined): string | undefined {
  let body: CheckpointBody;
  try {
    body = JSON.parse(record.body) as CheckpointBody;
  } catch {
    return 'the checkpoint is not JSON';
  }
  if (body.signedSeq !== record.seq - 1 || body.signedHash !== record.prevHash) return 'the checkpoint signs another record than the one before it';
  if (verifier === undefined) return 'no audit key is stored: the checkpoint cannot be verified';
  if (body.keyId !== verifier.keyId) return `the checkpoint names audit key ${String(body.keyId)}, not the instance's ${verifier.keyId}`;
  const payload = checkpointPayload(record.chainId, body.signedSeq, body.signedHash, body.final === true);
  if (typeof body.signature !== 'string' || !verifier.verify(payload, body.signature)) return 'the checkpoint signature does not verify';
  return undefined;
}
