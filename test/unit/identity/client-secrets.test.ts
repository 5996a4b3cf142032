/**
 * Client-secret hashing on its own worker thread (issue 7): the hashes stay compatible with the ones stored
 * before, the libuv pool (RSA signing, key generation) stays free while secrets are hashed, the pool is
 * bounded, a dead worker is replaced, and an idle pool does not keep a process alive.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pbkdf2, randomBytes, scryptSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { generateClientSecret, hashClientSecret, verifyClientSecret } from '../../../src/domain/identity/client-secrets.ts';
import { createScryptWorker, ScryptPool, SecretHashingBusy } from '../../../src/domain/identity/scrypt-pool.ts';

const FAST = { N: 2 ** 10, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

describe('client secrets', () => {
  test('a hash verifies its secret and no other', async () => {
    const secret = generateClientSecret();
    const stored = await hashClientSecret(secret);
    assert.match(stored, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.equal(await verifyClientSecret(secret, stored), true);
    assert.equal(await verifyClientSecret(`${secret}x`, stored), false);
    assert.equal(await verifyClientSecret(secret, 'bcrypt$whatever'), false);
  });

  test('hashes stored before the worker pool (made with crypto.scrypt) still verify', async () => {
    const salt = randomBytes(16);
    const hash = scryptSync('old secret', salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const stored = ['scrypt', 32768, 8, 1, salt.toString('base64url'), hash.toString('base64url')].join('$');
    assert.equal(await verifyClientSecret('old secret', stored), true);
  });

  test('hashing leaves the libuv thread pool free for key operations', async () => {
    const secret = generateClientSecret();
    let firstHashDone = false;
    const hashes = Array.from({ length: 6 }, () => hashClientSecret(secret).then(() => { firstHashDone = true; }));
    // An async crypto call on the libuv pool, as an RSA sign is: it must not wait behind the hashes.
    await new Promise<void>((resolve, reject) => pbkdf2('x', 'y', 1, 32, 'sha256', (error) => (error ? reject(error) : resolve())));
    assert.equal(firstHashDone, false, 'the libuv job waited for a client-secret hash');
    await Promise.all(hashes);
  });

  test('an idle hashing thread does not keep the process alive', () => {
    const module = join(import.meta.dirname, '..', '..', '..', 'src', 'domain', 'identity', 'client-secrets.ts');
    const script = `import { hashClientSecret } from ${JSON.stringify(module)}; await hashClientSecret('x'); process.stdout.write('hashed');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000, encoding: 'utf8' });
    assert.equal(child.signal, null, 'the process had to be killed');
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout, 'hashed');
  });
});

describe('ScryptPool', () => {
  test('derives what scryptSync derives', async () => {
    const pool = new ScryptPool({ threads: 1, maxQueued: 1 });
    const salt = randomBytes(16);
    assert.deepEqual(await pool.derive('secret', salt, 32, FAST), scryptSync('secret', salt, 32, FAST));
    await pool.close();
  });

  test('runs `threads` derivations, queues `maxQueued`, and refuses the next one at once', async () => {
    const pool = new ScryptPool({ threads: 1, maxQueued: 2 });
    const salt = randomBytes(16);
    const admitted = [pool.derive('a', salt, 32, FAST), pool.derive('b', salt, 32, FAST), pool.derive('c', salt, 32, FAST)];
    assert.deepEqual(pool.statistics, { running: 1, queued: 2, completed: 0 });
    await assert.rejects(pool.derive('d', salt, 32, FAST), (error: unknown) => error instanceof SecretHashingBusy && error.retryAfterSeconds >= 1);
    assert.equal((await Promise.all(admitted)).length, 3);
    assert.deepEqual(pool.statistics, { running: 0, queued: 0, completed: 3 });
    await pool.close();
  });

  test('a bad parameter fails that derivation only', async () => {
    const pool = new ScryptPool({ threads: 1, maxQueued: 1 });
    await assert.rejects(pool.derive('a', randomBytes(16), 32, { ...FAST, N: 3 }), /scrypt failed/);
    assert.equal((await pool.derive('a', randomBytes(16), 32, FAST)).length, 32);
    await pool.close();
  });

  test('a worker that dies fails its job and is replaced for the next one', async () => {
    const workers: Worker[] = [];
    const pool = new ScryptPool({
      threads: 1,
      maxQueued: 4,
      createWorker: () => {
        const worker = createScryptWorker();
        workers.push(worker);
        return worker;
      },
    });
    const salt = randomBytes(16);
    const running = pool.derive('a', salt, 32, { ...FAST, N: 2 ** 16 });
    const queued = pool.derive('b', salt, 32, FAST);
    await workers[0]?.terminate();
    await assert.rejects(running, /scrypt worker stopped/);
    assert.deepEqual(await queued, scryptSync('b', salt, 32, FAST));
    assert.equal(workers.length, 2);
    await pool.close();
  });
});
