/**
 * The audit log's stored shape: per node process one hash chain of records, each carrying the hash of the one
 * before it. A record is one of
 *   start       the first record of a chain: which process, when, under which audit key
 *   event       one request or operation (its `body` is the Managed-HSM-style entry, `audit-entry.ts`)
 *   checkpoint  the audit key's ES256 signature over (chain, seq, hash) of the record before it
 * `principalId` and `keyName` repeat what the body says, as columns, so that queries can use an index; the hash
 * covers them too (`audit-hash.ts`).
 */
export type AuditRecordKind = 'start' | 'event' | 'checkpoint';

export interface AuditRecord {
  readonly chainId: string;
  /** 1, 2, 3… within the chain, no gaps. */
  readonly seq: number;
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly kind: AuditRecordKind;
  readonly operationName: string;
  readonly principalId?: string | undefined;
  /** The key's name, lower-cased, when the record is about one key. */
  readonly keyName?: string | undefined;
  /** Canonical JSON (sorted members). */
  readonly body: string;
  /** The previous record's hash; 64 zeros for the first. */
  readonly prevHash: string;
  /** SHA-256 (hex) over the record's canonical encoding, `prevHash` included. */
  readonly hash: string;
}

/** A record before it takes its place in a chain. */
export type AuditDraft = Omit<AuditRecord, 'chainId' | 'seq' | 'prevHash' | 'hash'>;

/** Where a chain stands: its last record. */
export interface AuditChainHead {
  readonly chainId: string;
  readonly seq: number;
  readonly hash: string;
}

export interface AuditQuery {
  /** Compared case-insensitively. */
  keyName?: string | undefined;
  principalId?: string | undefined;
  /** Milliseconds since the epoch: records at or after. */
  since?: number | undefined;
  /** Event records only (no start or checkpoint records). */
  eventsOnly?: boolean | undefined;
  limit: number;
  /** The position after which to continue (the previous page's last record). */
  after?: { time: number; chainId: string; seq: number } | undefined;
}
