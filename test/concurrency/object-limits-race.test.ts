/**
 * Object limits under racing creates, through four worker processes on one store (the run's: SQLite in npm
 * test's first pass, PostgreSQL in its second): the check and the insert are one step, so however the requests
 * interleave across processes, no limit is overshot and every refusal is the 409 naming it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let api: ReturnType<typeof apiClient>;
const MAX_KEYS = 6;
const MAX_VERSIONS = 4;

before(async () => {
  server = await startServer({ workers: 4, args: ['--max-keys', String(MAX_KEYS), '--max-versions-per-key', String(MAX_VERSIONS)] });
  api = apiClient(server, await accessToken(server));
});
after(async () => disposeServer(server));

function assertQuota(response: { status: number; text: string; json: any }, message: RegExp): void {
  assert.equal(response.status, 409, response.text);
  assert.equal(response.json.error.code, 'Conflict');
  assert.equal(response.json.error.innererror?.code, 'QuotaExceeded');
  assert.match(response.json.error.message, message);
}

test('40 creates of new keys at once: exactly the free places are taken', async () => {
  assert.equal((await api.post('/keys/versions/create', { kty: 'EC' })).status, 200);
  const answers = await Promise.all(Array.from({ length: 40 }, (_, n) => api.post(`/keys/racer-${n}/create`, { kty: 'EC' })));
  const created = answers.filter((answer) => answer.status === 200);
  assert.equal(created.length, MAX_KEYS - 1);
  for (const answer of answers.filter((a) => a.status !== 200)) assertQuota(answer, new RegExp(`^The number of keys \\(${MAX_KEYS}\\) in this HSM`));
  const listed = (await api.get('/keys?maxresults=25')).json.value;
  assert.equal(listed.length, MAX_KEYS);
});

test('20 new versions of one key at once: the key ends with exactly the limit', async () => {
  const answers = await Promise.all(Array.from({ length: 20 }, () => api.post('/keys/versions/create', { kty: 'EC' })));
  assert.equal(answers.filter((answer) => answer.status === 200).length, MAX_VERSIONS - 1);
  for (const answer of answers.filter((a) => a.status !== 200)) assertQuota(answer, new RegExp(`versions \\(${MAX_VERSIONS}\\) of key versions`));
  assert.equal((await api.get('/keys/versions/versions')).json.value.length, MAX_VERSIONS);
});

test('20 role assignments at one key scope at once: exactly 10 are made', async () => {
  const assign = () => api.put(`/keys/versions/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
    properties: { roleDefinitionId: '21dbd100-6940-42c2-9190-5d6cb909625b', principalId: randomUUID() },
  });
  const answers = await Promise.all(Array.from({ length: 20 }, assign));
  assert.equal(answers.filter((answer) => answer.status === 201).length, 10);
  for (const answer of answers.filter((a) => a.status !== 201)) assertQuota(answer, /role assignments \(10\) at scope '\/keys\/versions'/);
});
