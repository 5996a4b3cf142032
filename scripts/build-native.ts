/**
 * Builds the native crypto addon (build/Release/strongroom_crypto.node) with node-gyp.
 *
 * Why a script and not plain `node-gyp rebuild`: the addon must be compiled against the headers of the Node
 * that will load it (its OpenSSL headers must match the OpenSSL that Node exports), and the user npmrc may
 * point node-gyp at another Node's headers (`nodedir=/usr`). This script finds the running Node's headers,
 * passes them explicitly, stays quiet on success and fails loudly (exit 1, full compiler output) otherwise.
 * It runs as the package's `install` script and by hand: `node scripts/build-native.ts`.
 *
 * Header lookup order (the first whose node_version.h matches the running Node exactly wins):
 *   1. $STRONGROOM_NODEDIR (if set it must match, or the build fails)
 *   2. the directory above the running binary (official tarballs, nvm, n, ...): <prefix>/include/node
 *   3. the npm `node` package's platform binary package: node_modules/node/node_modules/node-<os>-<arch>
 *   4. node-gyp's header cache: ~/.cache/node-gyp/<version>
 *   5. failing all of those, the headers are fetched into that cache from the npm registry (`npm pack
 *      node-<os>-<arch>@<version>`, the same tarball as 3, include/ only). This happens after a later
 *      `npm install` prunes 3 (npm installs it outside the lockfile, so it counts as extraneous).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addonPath = join(repoRoot, 'build', 'Release', 'strongroom_crypto.node');
const require = createRequire(import.meta.url);

function fail(message: string, details = ''): never {
  process.stderr.write(`build-native: ${message}\n${details}${details.endsWith('\n') || details === '' ? '' : '\n'}`);
  process.exit(1);
}

function headerVersion(nodedir: string): string | undefined {
  const file = join(nodedir, 'include', 'node', 'node_version.h');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const part = (name: string) => /(\d+)/.exec(text.split(`#define NODE_${name}_VERSION `)[1] ?? '')?.[1];
  return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
}

const platformPackage = `node-${process.platform}-${process.arch}`;
const headerCache = join(homedir(), '.cache', 'node-gyp', process.versions.node);

function candidateNodedirs(): string[] {
  const candidates = [
    process.env['STRONGROOM_NODEDIR'],
    resolve(dirname(realpathSync(process.execPath)), '..'),
    join(repoRoot, 'node_modules', 'node', 'node_modules', platformPackage),
    headerCache,
  ];
  return candidates.filter((dir): dir is string => dir !== undefined && dir !== '');
}

function findNodedir(): string {
  const wanted = process.versions.node;
  const explicit = process.env['STRONGROOM_NODEDIR'];
  if (explicit !== undefined && explicit !== '' && headerVersion(explicit) !== wanted) {
    // An explicit choice that cannot work is an error, not something to route around silently.
    fail(`STRONGROOM_NODEDIR=${explicit} does not hold Node v${wanted} headers (include/node/node_version.h).`);
  }
  const tried: string[] = [];
  for (const dir of candidateNodedirs()) {
    if (hasHeaders(dir)) return dir;
    const found = headerVersion(dir);
    tried.push(`  ${dir}: ${found === undefined ? 'no include/node/node_version.h' : `headers are v${found}`}`);
  }
  const fetchProblem = fetchHeadersIntoCache();
  if (fetchProblem === undefined && hasHeaders(headerCache)) return headerCache;
  return fail(
    `no Node v${wanted} headers (with OpenSSL) found. Set STRONGROOM_NODEDIR to a directory holding include/node.`,
    `Tried:\n${tried.join('\n')}\n  npm registry (${platformPackage}@${wanted}): ${fetchProblem ?? 'no headers in it'}`,
  );
}

function hasHeaders(dir: string): boolean {
  return headerVersion(dir) === process.versions.node && existsSync(join(dir, 'include', 'node', 'openssl', 'evp.h'));
}

/** Unpacks include/ of the npm platform package into node-gyp's cache; returns a problem, or undefined. */
function fetchHeadersIntoCache(): string | undefined {
  const scratch = mkdtempSync(join(tmpdir(), 'strongroom-node-headers-'));
  try {
    const spec = `${platformPackage}@${process.versions.node}`;
    const packed = spawnSync('npm', ['pack', spec, '--pack-destination', scratch, '--silent'], { encoding: 'utf8' });
    const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
    if (packed.status !== 0 || tarball === undefined)
      return `npm pack failed: ${packed.stderr || packed.error?.message}`;
    mkdirSync(headerCache, { recursive: true });
    const args = ['-xzf', join(scratch, tarball), '-C', headerCache, '--strip-components=1', 'package/include'];
    const untar = spawnSync('tar', args, { encoding: 'utf8' });
    if (untar.status !== 0) return `tar failed: ${untar.stderr || untar.error?.message}`;
    // node-gyp's own marker for a complete header install in its cache.
    const { installVersion } = require('node-gyp/package.json') as { installVersion: number };
    writeFileSync(join(headerCache, 'installVersion'), `${installVersion}\n`);
    return undefined;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function buildEnvironment(nodedir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // npm exports the user's npmrc as npm_config_*; node-gyp would read a stale nodedir from there.
  for (const name of Object.keys(env)) if (name.toLowerCase() === 'npm_config_nodedir') delete env[name];
  env['npm_config_nodedir'] = nodedir;
  // gyp's `<!(node ...)` expansions and node-gyp's child processes must see this Node first.
  env['PATH'] = [dirname(process.execPath), env['PATH'] ?? ''].join(delimiter);
  return env;
}

function runNodeGyp(nodedir: string): void {
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  const result = spawnSync(
    process.execPath,
    [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=error', '--jobs=max'],
    { cwd: repoRoot, env: buildEnvironment(nodedir), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.error !== undefined) fail(`could not run node-gyp: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`node-gyp rebuild failed (exit ${result.status ?? result.signal})`, `${result.stdout}${result.stderr}`);
  }
}

interface LoadedAddon {
  opensslVersion: string;
  implicitRejection: boolean;
}

function checkAddon(): LoadedAddon {
  if (!existsSync(addonPath)) fail(`node-gyp reported success but ${addonPath} is missing`);
  try {
    const addon = require(addonPath) as LoadedAddon;
    if (!addon.implicitRejection) fail('the OpenSSL in this Node lacks RSA implicit rejection (needs >= 3.2)');
    return addon;
  } catch (error) {
    return fail('the built addon does not load', error instanceof Error ? error.message : String(error));
  }
}

const nodedir = findNodedir();
runNodeGyp(nodedir);
const addon = checkAddon();
process.stdout.write(
  `build-native: built build/Release/strongroom_crypto.node (Node ${process.version}, ${addon.opensslVersion})\n`,
);
