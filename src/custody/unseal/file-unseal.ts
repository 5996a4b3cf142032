/**
 * `--unseal file` (the default): the wrapping key is a 32-byte file, `<data-dir>/unseal-key` or
 * `--unseal-key-file`, mode 0600. It is created (whole or not at all, lib/atomic-file.ts) only when the instance
 * has no domain yet; once a domain is wrapped under it, a missing file is an error to fix, never a reason to
 * make a new one. Every node of a cluster needs a copy of the first node's file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomically } from '../../lib/atomic-file.ts';
import { symmetricUnsealProvider, WRAPPING_KEY_BYTES } from './symmetric-unseal.ts';
import { UnsealError, type UnsealProvider } from './unseal-provider.ts';

export function fileUnsealProvider(path: string, options: { create: boolean }): UnsealProvider {
  const description = `the unseal key file ${path}`;
  if (!existsSync(path)) {
    if (!options.create) {
      throw new UnsealError(`${path} is missing: it is the only key that opens this instance's domain; restore it from your backup (or copy it from the first node of the cluster)`);
    }
    createKeyFile(path);
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new UnsealError(`${path} is readable by other users; run: chmod 600 ${path}`);
  const key = readFileSync(path);
  if (key.length !== WRAPPING_KEY_BYTES) {
    throw new UnsealError(`${path} is ${key.length} bytes long, not a ${WRAPPING_KEY_BYTES}-byte Strongroom unseal key; restore it from your backup`);
  }
  return symmetricUnsealProvider('file', key, description);
}

function createKeyFile(path: string): void {
  const fresh = randomBytes(WRAPPING_KEY_BYTES);
  try {
    writeFileAtomically(path, fresh, { mode: 0o600, exclusive: true });
  } catch (error) {
    // EEXIST: another process created it between our check and our link; theirs is complete, so use it.
    if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
  } finally {
    fresh.fill(0);
  }
}
