/** Runs a command line tool for a PKCS#11 test and hands back its output; fails the test with both streams. */
import { spawnSync, spawn, type SpawnOptions } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { KeyBundle } from './fixture.ts';

export interface RunResult { status: number | null; stdout: string; stderr: string }

export function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: Buffer | string): RunResult {
  const r = spawnSync(cmd, args, { env, input, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like run, but throws when the exit status is not 0. */
export function runOk(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: Buffer | string): RunResult {
  const r = run(cmd, args, env, input);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  return r;
}

export function runAsync(cmd: string, args: readonly string[], options: SpawnOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The plain public key of a key bundle, to check signatures made through the module. */
export function publicKeyOf(bundle: KeyBundle): KeyObject {
  const { kid: _kid, key_ops: _ops, kty, ...rest } = bundle.key;
  return createPublicKey({ key: { ...rest, kty: kty.replace('-HSM', '') }, format: 'jwk' });
}

export function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
