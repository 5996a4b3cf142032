/**
 * Racing writers through two worker processes on one data directory: every outcome fits a serial order.
 * - An update that makes a key non-exportable races an update that still treats it as exportable: whichever ran
 *   second saw the first, so "exportable never returns to true" holds in every round.
 * - Versions created at once on one name through both workers are all distinct and all kept.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { disposeServer, startServer, type TestServer } from '../../harness/server-process.ts';

let server: TestServer;
let api: ReturnType<typeof apiClient>;
const policy = { data: Buffer.from('{"version":"1.0.0","anyOf":[]}').toString('base64url') };

before(async () => {
  server = await startServer({ workers: 2 });
  api = apiClient(server, await accessToken(server));
});
after(async () => disposeServer(server));

test('exportable never returns to true, whatever the interleaving of two updates', async () => {
  const rounds = 12;
  for (let round = 0; round < rounds; round++) {
    const name = `race-${round}`;
    assert.equal((await api.post(`/keys/${name}/create`, { kty: 'EC', attributes: { exportable: true }, release_policy: policy })).status, 200);
  }
  await Promise.all(
    Array.from({ length: rounds }, async (_, round) => {
      const name = `race-${round}`;
      const [lock, keep] = await Promise.all([
        api.patch(`/keys/${name}`, { attributes: { exportable: false } }),
        api.patch(`/keys/${name}`, { attributes: { exportable: true }, tags: { kept: 'exportable' } }),
      ]);
      assert.equal(lock.status, 200);
      assert.equal(lock.json.attributes.exportable, false);
      const final = (await api.get(`/keys/${name}`)).json;
      assert.equal(final.attributes.exportable, false, `round ${round}`);
      if (keep.status === 200) {
        // It ran first, on an exportable key; the lock then kept its tag.
        assert.equal(keep.json.attributes.exportable, true);
        assert.deepEqual(final.tags, { kept: 'exportable' });
      } else {
        // It ran second and was refused, having seen the key already locked.
        assert.equal(keep.status, 400);
        assert.equal(final.tags, undefined);
      }
    }),
  );
});

test('versions created at once through both workers are distinct and none is lost', async () => {
  const created = await Promise.all(Array.from({ length: 24 }, () => api.post('/keys/many-versions/create', { kty: 'EC' })));
  for (const response of created) assert.equal(response.status, 200);
  const ids = new Set(created.map((response) => String(response.json.key.kid).split('/').pop()));
  assert.equal(ids.size, 24);
  const listed = (await api.get('/keys/many-versions/versions?maxresults=25')).json;
  assert.deepEqual(new Set(listed.value.map((item: { kid: string }) => item.kid.split('/').pop())), ids);
});
