/**
 * One run of a scheduled job outside the runner's schedule (`strongroom jobs run`), under the same lease as the
 * nodes' runners: taken in a unit of work even when the job is not due, never while another holder's lease is
 * live, renewed while the run goes on, and given up at the end without moving the job's schedule. So an operator's
 * run and a server's runner never run the job at once.
 *
 * The lease is judged on the real clock, whatever time the run itself is "as of" (`--now`): a run as of next
 * year must not take a lease a live node holds now.
 */
import type { IntDate } from '../lib/intdate.ts';
import type { Store } from '../storage/store.ts';

export type OnceOutcome<T> = { ran: true; result: T } | { ran: false; holder?: string | undefined; leaseExpires?: IntDate | undefined };

export interface RunOnceOptions {
  store: Store;
  job: { name: string; leaseSeconds: number };
  holder: string;
  /** The real clock: the lease's. */
  clock: () => IntDate;
}

export async function runJobOnce<T>(options: RunOnceOptions, work: () => Promise<T>): Promise<OnceOutcome<T>> {
  const { store, job, holder, clock } = options;
  const take = () => {
    const now = clock();
    return store.transaction((unit) => unit.jobs.tryAcquireLease(job.name, holder, now, now + job.leaseSeconds, { evenIfNotDue: true }));
  };
  const started = clock();
  if (!(await take())) {
    const record = await store.reader.jobs.getJob(job.name);
    return { ran: false, holder: record?.holder, leaseExpires: record?.leaseExpires };
  }
  const renewal = setInterval(() => void take().catch(() => undefined), (job.leaseSeconds * 1000) / 3);
  renewal.unref();
  let outcome: 'succeeded' | 'failed' = 'succeeded';
  let error: string | undefined;
  try {
    return { ran: true, result: await work() };
  } catch (failure) {
    outcome = 'failed';
    error = failure instanceof Error ? failure.message.split('\n')[0]?.slice(0, 300) : String(failure);
    throw failure;
  } finally {
    clearInterval(renewal);
    const record = await store.reader.jobs.getJob(job.name);
    // The schedule stays as the runners set it (an extra run moves nobody's next run).
    await store.transaction((unit) =>
      unit.jobs.recordRun(job.name, holder, { started, finished: clock(), outcome, error, nextRun: record?.nextRun ?? started }),
    );
  }
}
