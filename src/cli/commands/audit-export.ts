/**
 * `strongroom audit export`: every audit record (start and checkpoint records too), oldest first, as JSON lines
 * to a file or stdout, for a log shipper. Each line carries the record's chain, sequence number and hash, so a
 * consumer can check the links itself.
 */
import { constants, createWriteStream, openSync } from 'node:fs';
import { once } from 'node:events';
import type { AuditRecord } from '../../domain/audit/audit-record.ts';
import { COMMON_OPTIONS, CommandFailure, printResult, required, type Command } from '../command.ts';
import { parseSince, printable, STORE_OPTIONS, storeLocation, withAuditStore } from './audit-shared.ts';

const OPTIONS = {
  out: { type: 'string', value: 'FILE|-', description: 'Write the JSON lines here (a new file, mode 0600; - for stdout).' },
  since: { type: 'string', value: 'ISO-8601-TIME', description: 'Records at or after this time only.' },
  ...STORE_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

const PAGE = 1000;

export const auditExport: Command<typeof OPTIONS> = {
  name: 'audit export',
  summary: 'Export the audit records as JSON lines to a file or stdout (for a log shipper).',
  examples: ['strongroom audit export --out audit.jsonl', 'strongroom audit export --out - --since 2026-01-31T00:00:00Z | shipper'],
  options: OPTIONS,
  async run(values, io) {
    const out = required(values.out, '--out');
    const since = parseSince(values.since);
    const sink = out === '-' ? io.stdout : createWriteStream('', { fd: openNew(out) });
    let count = 0;
    await withAuditStore(storeLocation(values, io.env), async (store) => {
      let after: AuditRecord | undefined;
      for (;;) {
        const page = await store.reader.audit.queryAuditRecords({ since, limit: PAGE, after: after && { time: after.time, chainId: after.chainId, seq: after.seq } });
        for (const record of page) {
          if (!sink.write(`${JSON.stringify(printable(record))}\n`)) await once(sink, 'drain');
        }
        count += page.length;
        after = page.at(-1);
        if (page.length < PAGE) break;
      }
    });
    if (out !== '-') {
      const file = sink as ReturnType<typeof createWriteStream>;
      file.end();
      await once(file, 'finish');
      printResult(io, values.json, { out, records: count }, [`Exported ${count} audit record(s) to ${out}.`]);
    }
  },
};

/** A new file, owner-only: an export never replaces an earlier one. */
function openNew(file: string): number {
  try {
    return openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandFailure(code === 'EEXIST' ? `${file} exists; give another --out` : `cannot create ${file}: ${code ?? String(error)}`);
  }
}
