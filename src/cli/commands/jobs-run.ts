/**
 * `strongroom jobs run rotation`: runs the rotation job once against the store, as of `--now` (default: now),
 * and prints what it rotated, notified and delivered. It opens the instance itself (the data directory, or
 * `--store` for PostgreSQL, with the same environment as `serve`), and takes the job's lease as a server's runner
 * does, so it never runs while a node runs the job; every step is a kernel operation as the system caller, audited
 * in this process's own chain.
 *
 * Against SQLite, run it while the server is stopped (or accept that the server's processes may answer from
 * their key cache until their next write): a command is no member of the node's change beacon. PostgreSQL nodes
 * see its commits through the change feed.
 */
import { randomUUID } from 'node:crypto';
import { ConfigError, loadConfig, type Config } from '../../config/config.ts';
import { systemContext } from '../../domain/kernel/context.ts';
import { nowIntDate, type IntDate } from '../../lib/intdate.ts';
import { rotationJob, runRotation, type RotationReport } from '../../jobs/rotation-job.ts';
import { runJobOnce } from '../../jobs/run-job-once.ts';
import { openOfflineServices } from '../../server/offline-kernel.ts';
import { COMMON_OPTIONS, CommandFailure, printResult, UsageError, type Command } from '../command.ts';

const OPTIONS = {
  now: { type: 'string', value: 'ISO-8601-TIME', description: 'Run as of this time (e.g. 2027-01-31T12:00:00Z) instead of now: what is due, and the new versions\' created/exp.' },
  'data-dir': { type: 'string', value: 'DIR', description: 'The instance\'s data directory (env STRONGROOM_DATA_DIR, default ./strongroom-data).' },
  store: { type: 'string', value: 'URL', description: 'The store: sqlite:PATH or postgres://user:password@host:port/database (env STRONGROOM_STORE).' },
  'event-webhook': { type: 'string', value: 'URL', description: 'Deliver key events to this URL (env STRONGROOM_EVENT_WEBHOOK); without one, none are written.' },
  ...COMMON_OPTIONS,
} as const;

export const jobsRun: Command<typeof OPTIONS> = {
  name: 'jobs run rotation',
  summary: 'Run the key-rotation job once, now or as of --now: rotate due keys, notify versions near expiry, deliver events.',
  examples: [
    'strongroom jobs run rotation --data-dir ./strongroom-data',
    'strongroom jobs run rotation --store postgres://strongroom@db/strongroom --now 2027-03-01T00:00:00Z --json',
  ],
  options: OPTIONS,
  async run(values, io) {
    const asOf = values.now === undefined ? undefined : parseNow(values.now);
    const config = configOf(values, io.env);
    const services = await openOfflineServices(config).catch((error: unknown) => {
      throw new CommandFailure(`cannot open the instance: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    try {
      const job = rotationJob(services.kernel);
      const clock = () => asOf ?? nowIntDate();
      const outcome = await runJobOnce({ store: services.store, job, holder: `cli-${randomUUID()}`, clock: nowIntDate }, () =>
        runRotation(services.kernel, { ...systemContext(job.name, clock), channel: 'cli' }),
      );
      if (!outcome.ran) {
        const until = outcome.leaseExpires === undefined ? '' : ` until ${new Date(outcome.leaseExpires * 1000).toISOString()}`;
        throw new CommandFailure(`the rotation job is running elsewhere (lease held by ${outcome.holder ?? 'another node'}${until}); try again later`);
      }
      const report = outcome.result;
      printResult(io, values.json, { asOf: new Date(clock() * 1000).toISOString(), ...report }, lines(report, clock()));
      if (report.failures.length > 0) throw new CommandFailure(`${report.failures.length} step(s) failed; first: ${report.failures[0]?.name}: ${report.failures[0]?.error}`);
    } finally {
      await services.close();
    }
  },
};

function parseNow(value: string): IntDate {
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time)) throw new UsageError(`--now must be an ISO 8601 time, e.g. 2027-01-31T12:00:00Z (got ${value})`);
  return Math.floor(time / 1000);
}

/** The server's configuration (environment, then these flags), so the instance opens as `serve` opens it. */
function configOf(values: { 'data-dir'?: string | undefined; store?: string | undefined; 'event-webhook'?: string | undefined }, env: NodeJS.ProcessEnv): Config {
  const args = [
    ...(values['data-dir'] === undefined ? [] : ['--data-dir', values['data-dir']]),
    ...(values.store === undefined ? [] : ['--store', values.store]),
    ...(values['event-webhook'] === undefined ? [] : ['--event-webhook', values['event-webhook']]),
  ];
  try {
    return loadConfig(args, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function lines(report: RotationReport, asOf: IntDate): string[] {
  return [
    `Rotation job as of ${new Date(asOf * 1000).toISOString()}: ${report.rotated.length} rotated, ${report.notified.length} notified, ` +
      `${report.events.delivered} event(s) delivered, ${report.events.failed} to retry, ${report.events.abandoned} abandoned.`,
    ...report.rotated.map((entry) => `  rotated   ${entry.name}: ${entry.fromVersion} -> ${entry.version}`),
    ...report.notified.map((entry) => `  notified  ${entry.name}/${entry.version}${entry.eventId === undefined ? '' : ` (event ${entry.eventId})`}`),
    ...report.skipped.map((entry) => `  skipped   ${entry.name} (${entry.kind}: already done or the key changed)`),
    ...report.failures.map((entry) => `  FAILED    ${entry.name} (${entry.kind}): ${entry.error}`),
  ];
}
