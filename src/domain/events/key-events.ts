/** PLACEHOLDER (coordinator): key events (near expiry) to the webhook; the rotation helper replaces this file. */
export interface KeyEvent {
  type: string;
  subject: string;
  data: Record<string, unknown>;
}

export interface KeyEvents {
  publish(event: KeyEvent): void;
  close(): Promise<void>;
}

export function createKeyEvents(_options: { webhookUrl?: string | undefined }): KeyEvents {
  return { publish: () => {}, close: async () => {} };
}
