/**
 * `npm test`: type-check the whole tree, then run the tests with Node's test runner, in two passes:
 *
 *   1. every test file, on the default store (SQLite). The storage contract suite runs on every backend,
 *      PostgreSQL included, in this pass already.
 *   2. the suites that drive a running server (the SDK, the HTTP API, racing writers) again, on PostgreSQL: a
 *      throw-away server started here from Debian's binaries (harness/postgres.ts), or the one
 *      `STRONGROOM_TEST_STORE` names, with one fresh database per server.
 *
 * Test files run in parallel processes; each starts its own servers on random ports. `npm test -- FILES` runs
 * only the given files, in the first pass only (set STRONGROOM_TEST_STORE to run them on PostgreSQL).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startPostgres, type OwnedPostgres } from '../harness/postgres.ts';

const root = join(import.meta.dirname, '..');
const SERVER_SUITES = ['test/sdk/**/*.test.ts', 'test/api/**/*.test.ts', 'test/concurrency/**/*.test.ts'];

const run = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(command, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;
const nodeTest = (files: string[], env?: NodeJS.ProcessEnv) =>
  run(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files], env);

const typecheck = run(join(root, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', '.']);
if (typecheck !== 0) {
  process.stderr.write('Type-check failed.\n');
  process.exit(typecheck);
}

const patterns = process.argv.slice(2);
if (patterns.length > 0) process.exit(nodeTest(patterns));

process.stdout.write('\n# Pass 1 of 2: every test, on the default store (SQLite)\n\n');
const first = nodeTest(['test/**/*.test.ts']);

process.stdout.write('\n# Pass 2 of 2: the server-driven suites, on PostgreSQL\n\n');
let own: OwnedPostgres | undefined;
let second: number;
try {
  const external = process.env['STRONGROOM_TEST_STORE'];
  if (external === undefined || external === '') own = await startPostgres();
  const store = own?.url('postgres') ?? external ?? '';
  second = nodeTest(SERVER_SUITES, { ...process.env, STRONGROOM_TEST_STORE: store });
} catch (error) {
  process.stderr.write(`The PostgreSQL pass could not start: ${(error as Error).message}\n`);
  second = 1;
} finally {
  await own?.close();
}

if (first !== 0 || second !== 0) process.stderr.write(`Tests failed: pass 1 ${first === 0 ? 'passed' : 'failed'}, pass 2 ${second === 0 ? 'passed' : 'failed'}.\n`);
process.exit(first !== 0 ? first : second);
