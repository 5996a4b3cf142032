/**
 * Process entry: `strongroom <command>` (bin/strongroom.js runs this file on Node 24). `serve` is what
 * `npm start` runs (and what every cluster worker runs again); it is dispatched first, so that starting the
 * service loads nothing of the CLI. The other commands are the administrators' and custodians' (src/cli/).
 */
const argv = process.argv.slice(2);

if (argv[0] === 'serve') {
  const { runServe } = await import('./cli/commands/serve.ts');
  await runServe(argv.slice(1));
} else {
  const { runCli } = await import('./cli/cli.ts');
  process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
}
