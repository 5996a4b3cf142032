/**
 * Issue 10, the audit log against a real server (SQLite): a sequence of requests — allowed, refused by RBAC
 * (403), unauthenticated (401), routed nowhere (404), a bad api-version, token requests — each appears exactly
 * once with its Managed HSM operation name and result; no record holds a token, a client secret, a digest, a
 * signature or key material. Then, with the server stopped, `strongroom audit verify` passes, and fails naming
 * the record after each kind of tampering with the SQLite file: an edited field, a deleted record, a truncated tail.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { accessToken, request, type RawRequest } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';
import { auditExport } from '../../src/cli/commands/audit-export.ts';
import { auditQuery } from '../../src/cli/commands/audit-query.ts';
import { auditVerify } from '../../src/cli/commands/audit-verify.ts';
import type { CommandIo } from '../../src/cli/command.ts';
import type { AuditRecord } from '../../src/domain/audit/audit-record.ts';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.ts';

let server: TestServer;
let adminToken: string;
const secrets: string[] = [];
/** client request id → the operation and result its one record must show. */
const expected = new Map<string, { operationName: string; result: string }>();

before(async () => {
  // The tampering below edits the SQLite file; the audit repository itself runs on every backend in the store contract.
  server = await startServer({ store: 'sqlite' });
  adminToken = await accessToken(server);
  secrets.push(adminToken, server.credentials.clientSecret);
});
after(async () => { await disposeServer(server); });

async function call(operationName: string, result: string, req: RawRequest) {
  const id = randomUUID();
  expected.set(id, { operationName, result });
  return request(server, { ...req, headers: { ...req.headers, 'x-ms-client-request-id': id } });
}

function captured(): { io: CommandIo; out: () => string } {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { io: { stdout, stderr: new PassThrough(), env: {} }, out: () => Buffer.concat(chunks).toString('utf8') };
}

async function verify(): Promise<{ ok: boolean; message?: string; report: { chains: Array<{ chainId: string; closed: boolean }> } }> {
  const { io, out } = captured();
  try {
    await auditVerify.run({ 'data-dir': server.dataDir, json: true }, io);
    return { ok: true, report: JSON.parse(out().split('\n')[0] ?? '') };
  } catch (error) {
    return { ok: false, message: (error as Error).message, report: JSON.parse(out().split('\n')[0] ?? '') };
  }
}

test('every request is on the record once, with nothing secret; audit verify names tampered records', async () => {
  const v = '?api-version=7.6';
  const digest = randomBytes(32).toString('base64url');
  assert.equal((await call('KeyCreate', 'OK', { method: 'POST', path: `/keys/audited/create${v}`, token: adminToken, body: { kty: 'EC', crv: 'P-256' } })).status, 200);
  const signed = await call('KeySign', 'OK', { method: 'POST', path: `/keys/audited/sign${v}`, token: adminToken, body: { alg: 'ES256', value: digest } });
  assert.equal(signed.status, 200, signed.text);
  secrets.push(signed.json.value, digest);
  assert.equal((await call('KeyGet', 'OK', { path: `/keys/audited${v}`, token: adminToken })).status, 200);
  assert.equal((await call('KeyGet', 'Unauthorized', { path: `/keys/audited${v}` })).status, 401);
  assert.equal((await call('UnknownOperation', 'NotFound', { path: `/no/such/route${v}`, token: adminToken })).status, 404);
  assert.equal((await call('KeyGet', 'BadParameter', { path: '/keys/audited?api-version=1.0', token: adminToken })).status, 400);
  const created = await call('ServicePrincipalCreate', 'OK', { method: 'POST', path: `/principals${v}`, token: adminToken, body: { displayName: 'nobody' } });
  assert.equal(created.status, 201, created.text);
  const nobody = created.json.credentials as { tenantId: string; clientId: string; clientSecret: string };
  secrets.push(nobody.clientSecret);
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: nobody.clientId, client_secret: nobody.clientSecret, scope: 'https://localhost/.default' }).toString();
  const token = await call('Authentication', 'OK', { method: 'POST', path: `/${nobody.tenantId}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  assert.equal(token.status, 200);
  secrets.push(token.json.access_token);
  const refused = await call('KeySign', 'Forbidden', { method: 'POST', path: `/keys/audited/sign${v}`, token: token.json.access_token, body: { alg: 'ES256', value: digest } });
  assert.equal(refused.status, 403);
  await server.stop();

  const store = new SqliteStore(join(server.dataDir, 'strongroom.db'));
  const records: AuditRecord[] = await store.reader.audit.queryAuditRecords({ limit: 10_000 });
  await store.close();
  const events = records.filter((r) => r.kind === 'event').map((r) => ({ record: r, entry: JSON.parse(r.body) }));
  for (const [id, want] of expected) {
    const matching = events.filter((e) => e.entry.correlationId === id);
    assert.equal(matching.length, 1, `request ${want.operationName}/${want.result}: ${matching.length} records`);
    assert.deepEqual([matching[0]?.entry.operationName, matching[0]?.entry.resultSignature], [want.operationName, want.result]);
  }
  const requestIds = events.map((e) => e.entry.requestId);
  assert.equal(new Set(requestIds).size, requestIds.length, 'no request is recorded twice');
  const sign = events.find((e) => e.entry.operationName === 'KeySign' && e.entry.resultSignature === 'OK');
  assert.match(sign?.entry.properties.id ?? '', /^\/keys\/audited\/[0-9a-f]{32}$/);
  assert.equal(sign?.entry.identity.claim.oid, server.credentials.clientId);
  assert.equal(sign?.record.keyName, 'audited');
  assert.equal(events.find((e) => e.entry.resultSignature === 'Forbidden')?.record.principalId, nobody.clientId);
  assert.equal(events.find((e) => e.entry.operationName === 'Authentication' && e.record.principalId === nobody.clientId)?.entry.httpStatusCode, 200);
  const everything = JSON.stringify(records);
  for (const secret of secrets) assert.equal(everything.includes(secret), false, 'a token, secret, digest or signature reached the audit log');
  assert.equal(/"(d|k|p|q|dp|dq|qi)":/.test(everything), false, 'no private JWK member');

  const clean = await verify();
  assert.equal(clean.ok, true, clean.message);
  assert.equal(clean.report.chains.length, 1);
  assert.equal(clean.report.chains[0]?.closed, true);
  const chainId = clean.report.chains[0]?.chainId ?? '';

  const { io, out } = captured();
  await auditQuery.run({ 'data-dir': server.dataDir, key: 'AUDITED', json: true }, io);
  const byKey = (JSON.parse(out()) as { value: Array<{ operationName: string }> }).value.map((r) => r.operationName);
  assert.deepEqual(byKey, ['KeyCreate', 'KeySign', 'KeyGet', 'KeyGet', 'KeyGet', 'KeySign']);

  const exported = join(server.dataDir, 'audit.jsonl');
  await auditExport.run({ 'data-dir': server.dataDir, out: exported }, captured().io);
  const lines = readFileSync(exported, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { seq: number; hash: string });
  assert.equal(lines.length, records.length);
  assert.equal(statSync(exported).mode & 0o777, 0o600);
  await assert.rejects(auditExport.run({ 'data-dir': server.dataDir, out: exported }, captured().io), /exists/);

  const db = new DatabaseSync(join(server.dataDir, 'strongroom.db'));
  try {
    const signSeq = sign?.record.seq ?? 0;
    const original = db.prepare('SELECT * FROM audit_records WHERE chain_id = ? AND seq = ?').get(chainId, signSeq) as Record<string, string | number>;
    db.prepare("UPDATE audit_records SET principal_id = 'someone-else' WHERE chain_id = ? AND seq = ?").run(chainId, signSeq);
    const edited = await verify();
    assert.equal(edited.ok, false);
    assert.match(edited.message ?? '', new RegExp(`chain ${chainId} is broken at record ${signSeq}: .*changed`));
    db.prepare('DELETE FROM audit_records WHERE chain_id = ? AND seq = ?').run(chainId, signSeq);
    const deleted = await verify();
    assert.match(deleted.message ?? '', new RegExp(`broken at record ${signSeq}: record ${signSeq} is missing`));
    const columns = Object.keys(original);
    db.prepare(`INSERT INTO audit_records (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(...columns.map((c) => original[c] ?? null));
    assert.equal((await verify()).ok, true, 'restored');
    const { last } = db.prepare('SELECT MAX(seq) AS last FROM audit_records WHERE chain_id = ?').get(chainId) as { last: number };
    db.prepare('DELETE FROM audit_records WHERE chain_id = ? AND seq > ?').run(chainId, last - 3);
    const truncated = await verify();
    assert.match(truncated.message ?? '', new RegExp(`broken at record ${last - 2}: the chain was truncated`));
  } finally {
    db.close();
  }
});
