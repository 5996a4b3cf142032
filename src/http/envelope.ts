/** The Key Vault error envelope: `{"error":{"code","message","innererror":{"code"}}}`. */
import type { StrongroomError } from '../errors/strongroom-error.ts';

export interface KeyVaultErrorBody {
  error: { code: string; message: string; innererror?: { code: string } };
}

export function errorEnvelope(error: StrongroomError): KeyVaultErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.inner === undefined ? {} : { innererror: { code: error.inner } }),
    },
  };
}
