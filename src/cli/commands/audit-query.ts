/**
 * `strongroom audit query`: reads audit records by key, principal and time, oldest first (events only: start
 * and checkpoint records are for `audit verify`).
 */
import { COMMON_OPTIONS, UsageError, printResult, type Command } from '../command.ts';
import { table } from './role-shared.ts';
import { parseSince, printable, STORE_OPTIONS, storeLocation, withAuditStore } from './audit-shared.ts';

const OPTIONS = {
  key: { type: 'string', value: 'NAME', description: 'Records about this key (any version).' },
  principal: { type: 'string', value: 'ID', description: 'Records of this caller (principal object id / client id).' },
  since: { type: 'string', value: 'ISO-8601-TIME', description: 'Records at or after this time, e.g. 2026-01-31T12:00:00Z.' },
  limit: { type: 'string', value: 'N', description: 'At most this many records (default 1000).' },
  ...STORE_OPTIONS,
  ...COMMON_OPTIONS,
} as const;

export const auditQuery: Command<typeof OPTIONS> = {
  name: 'audit query',
  summary: 'Read audit records by key, principal and time (the store directly; works while the server is down).',
  examples: ['strongroom audit query --key k1 --since 2026-01-31T00:00:00Z', 'strongroom audit query --principal 0b3c… --json'],
  options: OPTIONS,
  async run(values, io) {
    const limit = values.limit === undefined ? 1000 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new UsageError('--limit must be an integer from 1 to 100000');
    const since = parseSince(values.since);
    const records = await withAuditStore(storeLocation(values, io.env), (store) =>
      store.reader.audit.queryAuditRecords({ keyName: values.key, principalId: values.principal, since, eventsOnly: true, limit }),
    );
    const value = records.map(printable);
    const rows = value.map((r) => {
      const entry = (r['entry'] ?? {}) as Record<string, unknown>;
      return [String(r['time']), String(r['operationName']), String(entry['resultSignature'] ?? ''), String(r['principalId'] ?? ''), String(r['keyName'] ?? ''), `${String(r['chainId']).slice(0, 8)}#${String(r['seq'])}`];
    });
    printResult(io, values.json, { value }, table(['TIME', 'OPERATION', 'RESULT', 'PRINCIPAL', 'KEY', 'RECORD'], rows, 'No audit records match.'));
  },
};
