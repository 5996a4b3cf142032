/**
 * Putting drafts in their place in a chain: each record gets the next sequence number and the previous
 * record's hash, then its own hash; a checkpoint record, when asked for, signs (chain, seq, hash) of the record
 * just before it with the audit key. A `final` checkpoint closes the chain (its process stopped cleanly): a chain
 * whose last record is not one may have lost its tail after its last checkpoint, and verification says so.
 */
import { canonicalJson, GENESIS_HASH, recordHash } from './audit-hash.ts';
import type { AuditSigner } from './audit-key.ts';
import { CHAIN_OPERATION_NAMES } from './audit-operation-names.ts';
import type { AuditChainHead, AuditDraft, AuditRecord } from './audit-record.ts';

export interface CheckpointBody {
  signedSeq: number;
  signedHash: string;
  keyId: string;
  final: boolean;
  signature: string;
}

/** The bytes a checkpoint signs. */
export function checkpointPayload(chainId: string, seq: number, hash: string, final: boolean): Buffer {
  return Buffer.from(JSON.stringify(['strongroom-audit-checkpoint/1', chainId, seq, hash, final]), 'utf8');
}

export interface CheckpointRequest {
  signer: AuditSigner;
  time: number;
  final: boolean;
}

export function chainRecords(chainId: string, head: AuditChainHead | undefined, drafts: readonly AuditDraft[], checkpoint?: CheckpointRequest): AuditRecord[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const records: AuditRecord[] = [];
  const push = (draft: AuditDraft) => {
    const unhashed = { ...draft, chainId, seq: seq + 1, prevHash };
    const record = { ...unhashed, hash: recordHash(unhashed) };
    records.push(record);
    seq = record.seq;
    prevHash = record.hash;
  };
  for (const draft of drafts) push(draft);
  if (checkpoint !== undefined && seq > 0) {
    const body: CheckpointBody = {
      signedSeq: seq,
      signedHash: prevHash,
      keyId: checkpoint.signer.keyId,
      final: checkpoint.final,
      signature: checkpoint.signer.sign(checkpointPayload(chainId, seq, prevHash, checkpoint.final)),
    };
    push({ time: checkpoint.time, kind: 'checkpoint', operationName: CHAIN_OPERATION_NAMES.checkpoint, body: canonicalJson({ ...body }) });
  }
  return records;
}
