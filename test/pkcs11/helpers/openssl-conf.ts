/** OpenSSL configuration files that load the module through pkcs11-provider or through the libp11 engine. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const multiarch = '/usr/lib/x86_64-linux-gnu';
export const providerPath = [`${multiarch}/ossl-modules/pkcs11.so`, '/usr/lib64/ossl-modules/pkcs11.so'].find(existsSync);
export const enginePath = [`${multiarch}/engines-3/pkcs11.so`, `${multiarch}/engines-3/libpkcs11.so`].find(existsSync);

export function providerConf(dir: string, lib: string): string {
  const path = join(dir, 'openssl-provider.cnf');
  writeFileSync(path, `openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
pkcs11 = pkcs11_sect
[default_sect]
activate = 1
[pkcs11_sect]
module = ${providerPath ?? 'pkcs11.so'}
pkcs11-module-path = ${lib}
activate = 1
`);
  return path;
}

/** `init = 1` for applications that never call ENGINE_init themselves (nginx). */
export function engineConf(dir: string, lib: string, init = false): string {
  const path = join(dir, init ? 'openssl-engine-init.cnf' : 'openssl-engine.cnf');
  writeFileSync(path, `openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = ${enginePath ?? 'pkcs11.so'}
MODULE_PATH = ${lib}
init = ${init ? 1 : 0}
`);
  return path;
}
