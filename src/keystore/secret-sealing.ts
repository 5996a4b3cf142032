/**
 * Where a secret's value crosses between the text a client sent and the sealed bytes storage keeps: its UTF-8
 * bytes sealed under the `key-material` root of trust (as key material is, keystore.ts), bound to the secret's
 * name and version as associated data, so a sealed value cannot be moved to another secret or version, nor
 * passed off as a key's material (whose context starts `key/`). Nothing is cached: a value is opened per read.
 */
import type { RootOfTrust } from './root-of-trust.ts';

export function sealSecretValue(root: RootOfTrust, name: string, version: string, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  try {
    return root.seal(bytes, valueContext(name, version));
  } finally {
    bytes.fill(0);
  }
}

export function openSecretValue(root: RootOfTrust, record: { name: string; version: string; sealedValue: Uint8Array }): string {
  const bytes = root.unseal(record.sealedValue, valueContext(record.name, record.version));
  try {
    return bytes.toString('utf8');
  } finally {
    bytes.fill(0);
  }
}

/** Names compare case-insensitively, so the context uses the lower-cased name and version. */
function valueContext(name: string, version: string): string {
  return `secret/${name.toLowerCase()}/${version.toLowerCase()}`;
}
