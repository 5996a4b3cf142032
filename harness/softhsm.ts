/**
 * A throw-away SoftHSM2 token for tests: its own configuration and token directory in a temporary folder (named
 * by SOFTHSM2_CONF, which every process using the token must get), initialised with `softhsm2-util`. Debian's
 * `softhsm2` package provides the tool and the module; `.ci/run` installs it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  modulePath: string;
  tokenLabel: string;
  pin: string;
  /** The environment a process needs to see this token. */
  env: { SOFTHSM2_CONF: string };
  close(): void;
}

export function softHsmAvailable(): boolean {
  return existsSync(SOFTHSM_MODULE);
}

export function createSoftHsmToken(tokenLabel = 'strongroom-test', pin = '24680'): SoftHsmToken {
  if (!softHsmAvailable()) throw new Error(`${SOFTHSM_MODULE} is missing: install Debian's softhsm2 package (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { SOFTHSM2_CONF: conf };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', `so-${pin}`], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  return { modulePath: SOFTHSM_MODULE, tokenLabel, pin, env, close: () => rmSync(dir, { recursive: true, force: true }) };
}
