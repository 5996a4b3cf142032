/**
 * Process entry: `strongroom serve [options]` (what `npm start` runs) and `--help`.
 */
import { ConfigError, helpText, loadConfig } from './config/config.ts';
import { serve } from './server/serve.ts';

const [command, ...args] = process.argv.slice(2);

if (command === undefined || command === '--help' || command === '-h' || args.includes('--help')) {
  process.stdout.write(helpText());
} else if (command !== 'serve') {
  process.stderr.write(`Unknown command '${command}'. Run: strongroom --help\n`);
  process.exitCode = 2;
} else {
  try {
    await serve(loadConfig(args));
  } catch (error) {
    // Start-up failures (bad options, a data directory that does not open, a missing native addon) are the
    // operator's to fix: say what is wrong in one line, no stack trace.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`strongroom: ${error instanceof ConfigError ? '' : 'cannot start: '}${message}\n`);
    // Exit now: a cluster worker's IPC channel (or an open server) would otherwise keep the process alive.
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}
