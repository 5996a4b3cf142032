/**
 * `strongroom audit verify`: checks every audit chain in the store (sequence continuity, hash links, record
 * hashes, checkpoint signatures, the chain head) and names the first broken record by chain and sequence number;
 * exit 1 when a chain is broken. Records after a chain's last checkpoint (a running process, or one that stopped
 * without closing its chain) are reported as an unsigned tail: only the chain head vouches for them.
 */
import { verifyAuditLog } from '../../domain/audit/audit-verify.ts';
import { COMMON_OPTIONS, CommandFailure, printResult, type Command } from '../command.ts';
import { STORE_OPTIONS, storeLocation, withAuditStore } from './audit-shared.ts';

const OPTIONS = { ...STORE_OPTIONS, ...COMMON_OPTIONS } as const;

export const auditVerify: Command<typeof OPTIONS> = {
  name: 'audit verify',
  summary: 'Verify every audit chain (hash links, sequence, checkpoint signatures, truncation); exit 1 naming the first broken record.',
  examples: ['strongroom audit verify --data-dir ./strongroom-data', 'strongroom audit verify --store postgres://strongroom@db/strongroom --json'],
  options: OPTIONS,
  async run(values, io) {
    const report = await withAuditStore(storeLocation(values, io.env), (store) => verifyAuditLog(store.reader));
    const lines = [
      `Audit key ${report.keyId ?? '(none stored)'}; ${report.chains.length} chain(s).`,
      ...report.chains.map((chain) => {
        const state = chain.broken !== undefined
          ? `BROKEN at record ${chain.broken.seq}: ${chain.broken.reason}`
          : chain.closed
            ? 'ok, closed'
            : `ok, open: ${chain.unsignedTail} record(s) after the last checkpoint (seq ${chain.lastCheckpointSeq}) are not signed yet`;
        return `  ${chain.chainId}  ${chain.records} records, ${chain.checkpoints} checkpoint(s): ${state}`;
      }),
    ];
    printResult(io, values.json, report, lines);
    const broken = report.firstBroken;
    if (broken !== undefined) throw new CommandFailure(`audit chain ${broken.chainId} is broken at record ${broken.seq}: ${broken.reason}`);
  },
};
