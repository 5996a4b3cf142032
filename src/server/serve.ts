/**
 * `strongroom serve`: the process model.
 *
 * The primary process owns start-up (data directory, schema, TLS certificate, first administrator) and then
 * serves either itself (one worker) or through one worker process per core (Node's cluster module: workers
 * share the listening socket, each with its own key cache and database connection). Crypto runs on the thread
 * that received the request, so N workers use N cores. The primary also runs the scheduled jobs (`src/jobs/`),
 * each once per cluster under a lease.
 */
import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { buildApp, type AppServices } from '../app.ts';
import { beaconSlots } from '../storage/change-beacon.ts';
import { JobRunner } from '../jobs/job-runner.ts';
import { purgeJob } from '../jobs/purge-job.ts';
import { rotationJob } from '../jobs/rotation-job.ts';
import type { Config } from '../config/config.ts';
import { DEFAULT_SERVER_NAMES, issueServerCertificate, type ServerCertificate } from '../tls/certificates.ts';
import { ensureAdminPrincipal, refreshAuthorityHost } from './admin-principal.ts';
import { instancePaths, openInstance, type Instance } from './instance.ts';
import { buildServices } from './services.ts';

/** How often the job runner looks for due jobs; each job has its own interval (the purge: a minute). */
const JOB_TICK_MS = 15_000;
const SHUTDOWN_GRACE_MS = 10_000;

type WorkerMessage = { type: 'listening'; port: number };
type PrimaryMessage = { type: 'start'; tls: ServerCertificate; slot: number };

interface Running {
  port: number;
  close(): Promise<void>;
}

export async function serve(config: Config): Promise<void> {
  // Everything the service writes (database, key-encryption key, credentials) is for its owner only.
  process.umask(0o077);
  if (cluster.isWorker) return runWorker(config);
  const instance = await openInstance({ ...instanceOptions(config), initialize: true, beacon: { slot: 0, slots: beaconSlots(config.workers) } });
  await ensureAdminPrincipal(instance, authorityHost(config.host, config.port));
  watchActivation(instance);
  const tls = await serverCertificate(config, instance);
  // One set of services in this process: it serves (one worker) and runs the jobs, so a purge also clears its cache.
  const services = buildServices(instance, config, tls.certificatePem);
  const running = config.workers === 1 ? await startServer(config, services, tls) : await startWorkers(config, tls);
  refreshAuthorityHost(config.dataDir, authorityHost(config.host, running.port));
  const jobs = new JobRunner({
    store: instance.store,
    jobs: [purgeJob(services.kernel), rotationJob(services.kernel)],
    clock: services.clock,
    onFailure: (job, error) => process.stderr.write(`Job ${job} failed: ${String(error)}\n`),
  });
  jobs.start(JOB_TICK_MS);
  process.stdout.write(`Strongroom listening on https://${displayHost(config.host)}:${running.port}\n`);
  onShutdownSignal(async () => {
    await jobs.stop();
    await running.close();
    await services.audit?.close();
    await instance.store.close();
  });
}

async function startServer(config: Config, services: AppServices, tls: ServerCertificate): Promise<Running> {
  const app = buildApp(services, { tls, logLevel: config.logLevel, limits: config });
  await app.listen({ host: config.host, port: config.port });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

async function runWorker(config: Config): Promise<void> {
  const message = await new Promise<PrimaryMessage>((resolve) => process.once('message', resolve));
  const instance = await openInstance({
    ...instanceOptions(config),
    initialize: false,
    beacon: { slot: message.slot, slots: beaconSlots(config.workers) },
  });
  watchActivation(instance);
  const services = buildServices(instance, config, message.tls.certificatePem);
  const running = await startServer(config, services, message.tls);
  process.send?.({ type: 'listening', port: running.port } satisfies WorkerMessage);
  onShutdownSignal(async () => {
    await running.close();
    await services.audit?.close();
    await instance.store.close();
  });
}

async function startWorkers(config: Config, tls: ServerCertificate): Promise<Running> {
  let stopping = false;
  // Worker n (1..N) keeps its slot of the change beacon across restarts; slot 0 is the primary's.
  const fork = (slot: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      let listening = false;
      worker.send({ type: 'start', tls, slot } satisfies PrimaryMessage);
      worker.on('message', (message: WorkerMessage) => {
        if (message.type !== 'listening') return;
        listening = true;
        resolve(message.port);
      });
      worker.on('exit', (code, signal) => {
        if (stopping) return;
        // A worker that never came up would fail the same way again: stop instead of restarting it forever.
        if (!listening) return reject(new Error(`a worker process failed to start (exit ${signal ?? code}); see its message above`));
        process.stderr.write(`Strongroom worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
        void fork(slot);
      });
    });
  let ports: number[];
  try {
    ports = await Promise.all(Array.from({ length: config.workers }, (_, index) => fork(index + 1)));
  } catch (error) {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    throw error;
  }
  return {
    port: ports[0] ?? config.port,
    close: async () => {
      stopping = true;
      await Promise.all(Object.values(cluster.workers ?? {}).map((worker) => worker && stopWorker(worker)));
    },
  };
}

function stopWorker(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), SHUTDOWN_GRACE_MS);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.process.kill('SIGTERM');
  });
}

async function serverCertificate(config: Config, instance: Instance): Promise<ServerCertificate> {
  if (config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined) {
    return { certificatePem: readFileSync(config.tlsCertFile, 'utf8'), privateKeyPem: readFileSync(config.tlsKeyFile, 'utf8') };
  }
  const names = [...DEFAULT_SERVER_NAMES, ...config.tlsNames];
  if (!['0.0.0.0', '::'].includes(config.host)) names.push(config.host);
  return issueServerCertificate(instance.certificateAuthority, names);
}

/** The URL clients use as `authorityHost`; a wildcard or loopback listen address is reached as localhost. */
function authorityHost(host: string, port: number): string {
  return `https://${displayHost(host) === '127.0.0.1' || ['0.0.0.0', '::'].includes(host) ? 'localhost' : displayHost(host)}:${port}`;
}

function displayHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Where this node's store is, and who unseals its security domain. */
function instanceOptions(config: Config) {
  return {
    dataDir: config.dataDir,
    store: config.store,
    unseal: { kind: config.unseal, keyFile: config.unsealKeyFile ?? instancePaths(config.dataDir).unsealKey, pkcs11: config.pkcs11 },
    requireActivation: config.requireActivation,
    legacyKekFile: config.legacyKekFile,
  };
}

/** An instance awaiting activation notices when any process of any node activates it. */
function watchActivation(instance: Instance): void {
  if (instance.custody.isActivated) return;
  if (cluster.isPrimary) process.stdout.write('Strongroom awaits activation: download or upload a security domain (see README, "Security domain")\n');
  instance.custody.watch((error) => process.stderr.write(`Reading the security domain failed: ${String(error)}\n`));
}

function onShutdownSignal(shutdown: () => Promise<void>): void {
  let called = false;
  const handler = () => {
    if (called) return;
    called = true;
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
