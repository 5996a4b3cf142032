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
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`strongroom: ${error.message}\n`);
    process.exitCode = 2;
  }
}
