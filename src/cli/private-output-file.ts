/**
 * A file a command writes a secret into (a security domain file, a credentials file): owner-only (0600), never
 * over an existing file unless `--force` (then written beside it and renamed over it, so the old one stays
 * whole until the new one is complete), fsynced before it counts as written. It is opened before the command
 * asks the service for anything, so a file that cannot be written costs nothing on the service.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CommandFailure } from './command.ts';

export interface PrivateOutputFile {
  readonly file: string;
  write(content: string): void;
  /** Removes what was opened when the command fails before writing. */
  abandon(): void;
}

/** `option`: the flag naming the file, for the message when it exists (`--out`, `--security-domain-file`). */
export function openPrivateOutputFile(file: string, options: { force: boolean; option: string }): PrivateOutputFile {
  const path = options.force ? join(dirname(file), `.${basename(file)}.${randomUUID()}.tmp`) : file;
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandFailure(code === 'EEXIST' ? `${file} exists; give --force to replace it, or another ${options.option}` : `cannot create ${file}: ${code ?? String(error)}`);
  }
  let done = false;
  return {
    file,
    write(content) {
      writeSync(fd, content);
      fsyncSync(fd);
      closeSync(fd);
      done = true;
      if (options.force) renameSync(path, file);
    },
    abandon() {
      if (done) return;
      done = true;
      closeSync(fd);
      rmSync(path, { force: true });
    },
  };
}
