/**
 * The raw crypto ceiling: the same operation done directly with Node's crypto, no HTTP, on every core at once
 * (one worker thread per core, each in a tight loop for the same wall-clock window). The service can at best
 * approach this; the benchmark reports the ratio.
 *
 * Each operation is done the fastest way Node's own API allows (e.g. ECDSA signatures in DER, which Node does
 * not convert), so the ceiling errs high, never low.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export type CeilingOperation =
  | { kind: 'rsa-sign'; bits: number; padding: 'pkcs1' | 'pss' }
  | { kind: 'rsa-oaep256-decrypt'; bits: number }
  | { kind: 'ecdsa-sign' | 'ecdsa-verify'; curve: string; hash: string }
  | { kind: 'aes-gcm-encrypt'; bytes: number }
  | { kind: 'aes-kw-wrap' }
  | { kind: 'hmac-sha256' };

/** Runs in each worker thread: prepares the key, then counts operations until the deadline. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const c = require('node:crypto');
const op = workerData.operation;
const message = c.randomBytes(32);
let run;
switch (op.kind) {
  case 'rsa-sign': {
    const key = c.generateKeyPairSync('rsa', { modulusLength: op.bits }).privateKey;
    const options = op.padding === 'pss' ? { key, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
    run = () => c.sign('sha256', message, options);
    break;
  }
  case 'rsa-oaep256-decrypt': {
    const { privateKey, publicKey } = c.generateKeyPairSync('rsa', { modulusLength: op.bits });
    const oaep = { padding: c.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
    const ciphertext = c.publicEncrypt({ key: publicKey, ...oaep }, message);
    run = () => c.privateDecrypt({ key: privateKey, ...oaep }, ciphertext);
    break;
  }
  case 'ecdsa-sign':
  case 'ecdsa-verify': {
    const { privateKey, publicKey } = c.generateKeyPairSync('ec', { namedCurve: op.curve });
    const signature = c.sign(op.hash, message, privateKey);
    run = op.kind === 'ecdsa-sign'
      ? () => c.sign(op.hash, message, privateKey)
      : () => c.verify(op.hash, message, publicKey, signature);
    break;
  }
  case 'aes-gcm-encrypt': {
    const key = c.randomBytes(32);
    const plaintext = c.randomBytes(op.bytes);
    run = () => {
      const cipher = c.createCipheriv('aes-256-gcm', key, c.randomBytes(12));
      cipher.update(plaintext); cipher.final(); return cipher.getAuthTag();
    };
    break;
  }
  case 'aes-kw-wrap': {
    const key = c.randomBytes(32);
    const iv = Buffer.alloc(8, 0xa6);
    run = () => { const cipher = c.createCipheriv('id-aes256-wrap', key, iv); cipher.update(message); return cipher.final(); };
    break;
  }
  case 'hmac-sha256': {
    const key = c.randomBytes(32);
    run = () => c.createHmac('sha256', key).update(message).digest();
    break;
  }
}
for (let i = 0; i < 50; i++) run();
parentPort.postMessage('ready');
parentPort.once('message', (deadline) => {
  let count = 0;
  while (Date.now() < deadline) { for (let i = 0; i < 16; i++) run(); count += 16; }
  parentPort.postMessage(count);
});
`;

/** Operations per second of `operation` on all cores together, over `seconds`. */
export async function measureCeiling(operation: CeilingOperation, seconds: number): Promise<number> {
  const threads = availableParallelism();
  const workers = Array.from({ length: threads }, () => new Worker(WORKER_SOURCE, { eval: true, workerData: { operation } }));
  try {
    await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
    const started = Date.now();
    const deadline = started + seconds * 1000;
    const counts = await Promise.all(
      workers.map((worker) => {
        const done = new Promise<number>((resolve) => worker.once('message', resolve));
        worker.postMessage(deadline);
        return done;
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    return counts.reduce((sum, count) => sum + count, 0) / elapsed;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
