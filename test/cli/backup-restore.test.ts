/**
 * Issue 9, `strongroom backup` and `strongroom restore` against real servers, to a `file:///` folder:
 *
 *   A  a key is made, `strongroom backup --to file:///…` prints the folder URL (--json: {"folderUri"})
 *   A  the key is deleted and purged, then `strongroom restore --from <folderUri> --key NAME` brings it back
 *   B  a fresh instance of another domain: `strongroom restore --from <folderUri>` fails (exit 1) with the
 *      service's reason
 *
 * It needs the server's full backup endpoints (POST /backup, PUT /restore, PUT /keys/{name}/restore, reference
 * §5.3) and their status endpoints.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { accessToken, apiClient } from '../../harness/https-requests.ts';
import { runStrongroom } from '../../harness/cli-process.ts';
import { disposeServer, startServer, type StartedServer } from '../../harness/server-process.ts';

let a: StartedServer;
let b: StartedServer;
let target: string;

before(async () => {
  target = mkdtempSync(join(tmpdir(), 'strongroom-backups-'));
  [a, b] = await Promise.all([startServer(), startServer()]);
});
after(async () => {
  await Promise.all([a, b].map((server) => server && disposeServer(server)));
  rmSync(target, { recursive: true, force: true });
});

const strongroom = (server: StartedServer, args: string[]) => runStrongroom(args, { dataDir: server.dataDir });

describe('strongroom backup / restore against the service', () => {
  let folderUri: string;

  it('backup --to file:///… prints the new folder', async () => {
    const apiA = apiClient(a, await accessToken(a));
    assert.equal((await apiA.post('/keys/kept/create', { kty: 'EC', crv: 'P-256' })).status, 200);
    const result = await strongroom(a, ['backup', '--to', pathToFileURL(target).href, '--json']);
    assert.equal(result.code, 0, result.stderr);
    folderUri = (JSON.parse(result.stdout) as { folderUri: string }).folderUri;
    assert.ok(folderUri.startsWith(`${pathToFileURL(target).href}/`), folderUri);
    assert.match(result.stderr, /Full backup: Succeeded/);
  });

  it('restore --key brings a purged key back', async () => {
    const apiA = apiClient(a, await accessToken(a));
    assert.equal((await apiA.delete('/keys/kept')).status, 200);
    assert.equal((await apiA.delete('/deletedkeys/kept')).status, 204);
    const result = await strongroom(a, ['restore', '--from', folderUri, '--key', 'kept', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await apiA.get('/keys/kept')).status, 200);
  });

  it('a full restore into an instance of another domain fails with the reason', async () => {
    const result = await strongroom(b, ['restore', '--from', folderUri]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Full restore failed|BadParameter/);
  });
});
