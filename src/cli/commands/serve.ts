/**
 * `strongroom serve` (what `npm start` runs): delegates to the service's own option parser and process model,
 * unchanged: options follow config.ts (`serve --help`), a bad option exits 2, a failed start exits 1, each
 * with one line and no stack trace. Loaded only when asked for, so that the other commands do not load the
 * server (Fastify, the native addon).
 */
export async function runServe(args: readonly string[]): Promise<void> {
  const { ConfigError, helpText, loadConfig } = await import('../../config/config.ts');
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(helpText());
    return;
  }
  try {
    // Options first: a bad one is exit 2 even when the server itself could not load.
    const config = loadConfig(args);
    const { serve } = await import('../../server/serve.ts');
    await serve(config);
  } catch (error) {
    // Start-up failures (bad options, a data directory that does not open, a missing native addon) are the
    // operator's to fix: say what is wrong in one line, no stack trace.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`strongroom: ${error instanceof ConfigError ? '' : 'cannot start: '}${message}\n`);
    // Exit now: a cluster worker's IPC channel (or an open server) would otherwise keep the process alive.
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}
