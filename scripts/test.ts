/**
 * `npm test`: type-check the whole tree, then run every test file with Node's test runner.
 * Test files run in parallel processes; each starts its own servers on random ports.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const run = (command: string, args: string[]) => spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

const typecheck = run(join(root, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.']);
if (typecheck !== 0) {
  process.stderr.write('Type-check failed.\n');
  process.exit(typecheck);
}

const patterns = process.argv.slice(2);
process.exit(
  run(process.execPath, [
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    ...(patterns.length > 0 ? patterns : ['test/**/*.test.ts']),
  ]),
);
