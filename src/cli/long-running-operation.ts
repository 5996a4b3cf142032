/**
 * The long-running-operation protocol of Key Vault / Managed HSM (reference §5.3, as core-lro follows it):
 * the initial answer (200/202) names a status URL in `Azure-AsyncOperation` (or `Operation-Location`); a GET
 * there every `Retry-After` seconds (2 s when absent) until `status` says done. Status words are matched as
 * core-lro matches them, case-insensitively: "succeeded" (and the security domain's "Success"), "fail",
 * "canceled"; anything else is still running.
 */
import { CommandFailure } from './command.ts';
import type { Progress } from './progress.ts';
import type { ServiceClient, ServiceResponse } from './service-client.ts';

export type OperationBody = Record<string, unknown>;

export interface PollOptions {
  /** The status URL when the initial answer names none (the documented `…/pending` path). */
  fallbackUrl: string;
  /** What the progress line calls the operation: "Full backup". */
  label: string;
  progress: Progress;
  /** Delay between polls when the service sends no Retry-After. */
  defaultDelayMs?: number;
}

const DEFAULT_DELAY_MS = 2_000;
const MAX_DELAY_MS = 60_000;

/** Follows an operation from its initial answer to its end; resolves with the final status body, throws CommandFailure when it failed. */
export async function pollOperation(client: ServiceClient, initial: ServiceResponse, options: PollOptions): Promise<OperationBody> {
  if (initial.status !== 200 && initial.status !== 202 && initial.status !== 204) {
    throw new CommandFailure(`${options.label}: unexpected answer ${initial.status} to the request that starts it`);
  }
  const url = headerOf(initial, 'azure-asyncoperation') ?? headerOf(initial, 'operation-location') ?? options.fallbackUrl;
  let response = initial;
  let body = bodyOf(initial);
  try {
    for (;;) {
      const state = stateOf(body);
      report(options, body, state);
      if (state === 'succeeded') return body;
      if (state === 'failed' || state === 'canceled') throw new CommandFailure(`${options.label} ${state === 'failed' ? 'failed' : 'was canceled'}: ${reasonOf(body)}`);
      await delay(delayOf(response, options.defaultDelayMs ?? DEFAULT_DELAY_MS));
      response = await client.request('GET', url);
      body = bodyOf(response);
    }
  } finally {
    options.progress.end();
  }
}

type State = 'running' | 'succeeded' | 'failed' | 'canceled';

function stateOf(body: OperationBody): State {
  const status = typeof body['status'] === 'string' ? body['status'].toLowerCase() : '';
  if (status.includes('succeeded') || status === 'success') return 'succeeded';
  if (status.includes('fail')) return 'failed';
  if (status === 'canceled' || status === 'cancelled') return 'canceled';
  return 'running';
}

function report(options: PollOptions, body: OperationBody, state: State): void {
  const details = detailsOf(body);
  const status = typeof body['status'] === 'string' ? body['status'] : state;
  options.progress.update(`${options.label}: ${status}${details === undefined ? '' : ` - ${details}`}`);
}

function detailsOf(body: OperationBody): string | undefined {
  const details = body['statusDetails'] ?? body['status_details'];
  return typeof details === 'string' && details !== '' ? details : undefined;
}

/** Why an operation failed: its error (code and message), else its status details. */
function reasonOf(body: OperationBody): string {
  const error = body['error'];
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof message === 'string') return typeof code === 'string' ? `${code}: ${message}` : message;
  }
  return detailsOf(body) ?? 'the service gave no reason';
}

function bodyOf(response: ServiceResponse): OperationBody {
  return typeof response.body === 'object' && response.body !== null && !Array.isArray(response.body) ? (response.body as OperationBody) : {};
}

function headerOf(response: ServiceResponse, name: string): string | undefined {
  const value = response.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/** Retry-After in seconds (or an HTTP date), bounded; the default when absent or unreadable. */
function delayOf(response: ServiceResponse, fallbackMs: number): number {
  const header = headerOf(response, 'retry-after');
  if (header === undefined) return fallbackMs;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), MAX_DELAY_MS) : fallbackMs;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
