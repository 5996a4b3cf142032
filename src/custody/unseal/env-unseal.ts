/**
 * `--unseal env`: the wrapping key, 32 bytes in base64, from STRONGROOM_UNSEAL_KEY (a container's secret, a
 * secret manager's injection). Make one with `openssl rand -base64 32`.
 */
import { symmetricUnsealProvider, WRAPPING_KEY_BYTES } from './symmetric-unseal.ts';
import { UnsealError, type UnsealProvider } from './unseal-provider.ts';

export const UNSEAL_KEY_VARIABLE = 'STRONGROOM_UNSEAL_KEY';

export function envUnsealProvider(env: NodeJS.ProcessEnv): UnsealProvider {
  const raw = env[UNSEAL_KEY_VARIABLE]?.trim();
  if (raw === undefined || raw === '') throw new UnsealError(`--unseal env needs ${UNSEAL_KEY_VARIABLE} (32 bytes, base64; make one with: openssl rand -base64 32)`);
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
  if (key.length !== WRAPPING_KEY_BYTES) {
    throw new UnsealError(`${UNSEAL_KEY_VARIABLE} must be ${WRAPPING_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
  }
  return symmetricUnsealProvider('env', key, UNSEAL_KEY_VARIABLE);
}
