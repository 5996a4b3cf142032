/**
 * `npx strongroom …` as a user types it, for tests: a child process (through `bin/strongroom.js`, which runs the
 * CLI on the bundled Node 24), with the data directory of the instance it talks to, so its CA and administrator
 * credentials are found the way they are on the server's own machine.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './server-process.ts';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runStrongroom(args: readonly string[], options: { dataDir: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'strongroom.js'), ...args, '--data-dir', options.dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
