/**
 * On one node, a revocation applies to the next request on every worker, not only on the worker that made it:
 * removing a role assignment, or deleting a principal, through one worker's connection is seen by the other
 * worker at once (the role and principal operations signal the node's change beacon after they commit; the
 * authorizer and the token service of every worker watch it). Before, the other worker kept its cached
 * decision and token check for up to 2 s.
 *
 * Requests go over fresh connections, which the node's primary hands to its two workers in turn.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import { after, before, test } from 'node:test';
import { accessToken, apiClient, principalToken, request, type ClientSecretCredentials } from '../../harness/https-requests.ts';
import { disposeServer, loopbackLookup, startServer, type TestServer } from '../../harness/server-process.ts';

const CRYPTO_USER = '21dbd100-6940-42c2-9190-5d6cb909625b';
const ROUNDS = 10;
let server: TestServer;
let fresh: TestServer;

before(async () => {
  server = await startServer({ workers: 2 });
  // The same server, but every request on a new connection (so both workers answer in turn).
  fresh = { ...server, agent: new https.Agent({ ca: server.ca, keepAlive: false, lookup: loopbackLookup }) };
});
after(async () => {
  fresh.agent.destroy();
  await disposeServer(server);
});

async function statuses(token: string): Promise<number[]> {
  const answers: number[] = [];
  for (let i = 0; i < ROUNDS; i++) answers.push((await request(fresh, { path: '/keys/revoked?api-version=7.6', token })).status);
  return answers;
}

test('a removed role assignment and a deleted principal are refused at once by both workers', async () => {
  const admin = apiClient(server, await accessToken(server));
  assert.equal((await admin.post('/keys/revoked/create', { kty: 'EC' })).status, 200);
  const created = await admin.post('/principals', { displayName: 'revoked app' });
  assert.equal(created.status, 201, created.text);
  const credentials = created.json.credentials as ClientSecretCredentials;
  const assignment = `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`;
  assert.equal((await admin.put(assignment, { properties: { roleDefinitionId: CRYPTO_USER, principalId: credentials.clientId } })).status, 201);
  const token = await principalToken(server, credentials);
  // Both workers have now verified the token and cached the allowed decision.
  assert.deepEqual(await statuses(token), Array(ROUNDS).fill(200));

  assert.equal((await admin.delete(assignment)).status, 200);
  assert.deepEqual(await statuses(token), Array(ROUNDS).fill(403), 'the assignment is gone on both workers');

  assert.equal((await admin.put(assignment, { properties: { roleDefinitionId: CRYPTO_USER, principalId: credentials.clientId } })).status, 201);
  assert.deepEqual(await statuses(token), Array(ROUNDS).fill(200));
  assert.equal((await admin.delete(`/principals/${credentials.clientId}`)).status, 200);
  assert.deepEqual(await statuses(token), Array(ROUNDS).fill(401), 'the principal is gone on both workers');
});
