/**
 * Listings page with `maxresults` and follow-on `nextLink`s that are absolute, https and on the origin the
 * client used (the SDKs refuse anything else); every item appears exactly once across the pages.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessToken, apiClient, request } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let token: string;

before(async () => {
  server = await startServer();
  token = await accessToken(server);
  const api = apiClient(server, token);
  for (let i = 0; i < 30; i++) assert.equal((await api.post(`/keys/page-${String(i).padStart(2, '0')}/create`, { kty: 'EC' })).status, 200);
  for (let i = 0; i < 12; i++) assert.equal((await api.post('/keys/many-versions/create', { kty: 'EC' })).status, 200);
  for (let i = 0; i < 8; i++) assert.equal((await api.delete(`/keys/page-${String(i).padStart(2, '0')}`)).status, 200);
});
after(async () => { await disposeServer(server); });

/** Follows nextLinks from a first path; returns every item and every nextLink seen. */
async function collect(host: string, firstPath: string, accessTokenForHost = token) {
  const items: Array<{ kid: string }> = [];
  const links: string[] = [];
  let path: string | undefined = firstPath;
  while (path !== undefined) {
    const response = await request(server, { path, host, token: accessTokenForHost });
    assert.equal(response.status, 200, response.text);
    items.push(...response.json.value);
    const next: string | null = response.json.nextLink;
    if (next === null) break;
    links.push(next);
    const url = new URL(next);
    path = `${url.pathname}${url.search}`;
  }
  return { items, links };
}

test('keys page by maxresults; nextLinks are same-origin https and every key appears once', async () => {
  const { items, links } = await collect('localhost', '/keys?api-version=7.6&maxresults=7');
  const names = items.map((item) => item.kid.split('/').pop());
  assert.deepEqual(names, [...names].sort());
  assert.deepEqual(names, ['many-versions', ...Array.from({ length: 22 }, (_, i) => `page-${String(i + 8).padStart(2, '0')}`)]);
  assert.equal(links.length, 3);
  for (const link of links) {
    const url = new URL(link);
    assert.equal(url.origin, `https://localhost:${server.port}`);
    assert.equal(url.searchParams.get('api-version'), '7.6');
    assert.equal(url.searchParams.get('maxresults'), '7');
  }
});

test('the default page size is 25', async () => {
  const response = await request(server, { path: '/keys?api-version=7.6', token });
  assert.equal(response.json.value.length, 23);
  assert.equal(response.json.nextLink, null);
});

test('versions page too, oldest first, with versioned ids', async () => {
  const { items } = await collect('localhost', '/keys/many-versions/versions?api-version=7.6&maxresults=5');
  assert.equal(items.length, 12);
  assert.equal(new Set(items.map((item) => item.kid)).size, 12);
  for (const item of items) assert.match(item.kid, /\/keys\/many-versions\/[0-9a-f]{32}$/);
});

test('deleted keys page too, with their recovery fields', async () => {
  const { items } = await collect('localhost', '/deletedkeys?api-version=7.6&maxresults=3');
  assert.equal(items.length, 8);
  for (const item of items as Array<{ kid: string; recoveryId: string; deletedDate: number; scheduledPurgeDate: number }>) {
    assert.equal(item.recoveryId, item.kid.replace('/keys/', '/deletedkeys/'));
    assert.ok(item.scheduledPurgeDate > item.deletedDate);
  }
});

test('on a vault-style host, nextLinks stay on that host', async () => {
  const vaultToken = await accessToken(server, 'https://vault.localhost');
  const { links } = await collect('myvault.vault.localhost', '/keys?api-version=7.6&maxresults=10', vaultToken);
  assert.ok(links.length > 0);
  for (const link of links) assert.equal(new URL(link).origin, `https://myvault.vault.localhost:${server.port}`);
});
