/**
 * Where key events go besides the audit log: the `--event-webhook URL`, as CloudEvents 1.0 in structured mode
 * (`Content-Type: application/cloudevents+json`, the event JSON as the body). Events reach it through the outbox
 * (`key-event-record.ts`): this module only makes one delivery attempt of a stored event; the rotation job's node
 * schedules the retries (`delivery-schedule.ts`).
 */
import type { KeyEventRecord } from './key-event-record.ts';

export type DeliveryResult = { delivered: true } | { delivered: false; error: string };

export interface KeyEvents {
  /** Whether a webhook is configured; without one no event is written to the outbox. */
  readonly enabled: boolean;
  /** One attempt: POST the stored event; delivered on any 2xx answer. */
  deliver(event: KeyEventRecord): Promise<DeliveryResult>;
  close(): Promise<void>;
}

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';
/** A receiver that takes longer than this is counted as a failed attempt (and retried later). */
const ATTEMPT_TIMEOUT_MS = 10_000;

export function createKeyEvents(options: { webhookUrl?: string | undefined; timeoutMs?: number | undefined }): KeyEvents {
  const { webhookUrl } = options;
  if (webhookUrl === undefined) {
    return { enabled: false, deliver: async () => ({ delivered: false, error: 'no --event-webhook is configured' }), close: async () => {} };
  }
  const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  return {
    enabled: true,
    async deliver(event) {
      try {
        const response = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
          body: event.body,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
        // The body is not ours to read; drain it so the connection can be reused.
        await response.body?.cancel().catch(() => undefined);
        return response.ok ? { delivered: true } : { delivered: false, error: `the webhook answered ${response.status}` };
      } catch (error) {
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
        return { delivered: false, error: `${error instanceof Error ? error.message : String(error)}${cause}`.slice(0, 300) };
      }
    },
    close: async () => {},
  };
}
