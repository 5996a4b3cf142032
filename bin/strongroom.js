#!/usr/bin/env node
// `npx strongroom <command>`: runs the CLI (src/main.ts) on Node 24, the version Strongroom is built for. When the
// machine's own node is older, the Node 24 that the `node` npm dependency installed runs it instead, so the
// command works on any machine where `npm install` ran. Plain JavaScript, so that any node can start it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = join(root, 'node_modules', 'node', 'bin', 'node');
const node = process.versions.node.startsWith('24.') || !existsSync(bundled) ? process.execPath : bundled;

const child = spawn(node, [join(root, 'src', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
