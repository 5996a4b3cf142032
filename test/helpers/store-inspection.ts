/**
 * Test-only hook of the store layer: reads every stored key version straight from a data directory's SQLite
 * file (deleted ones too) and opens its sealed material with the key-material root of trust unlocked from the
 * security domain (unwrapped by the data directory's unseal key), the way the service does. Never through the API, which must not be able to return private material at all.
 */
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { domainKeyFromBytes, unlockWithDomainKey } from '../../src/custody/domain-key.ts';
import { CUSTODY_SETTINGS, type SealedDomainRecord } from '../../src/custody/sealed-domain.ts';
import { DOMAIN_KEY_CONTEXT } from '../../src/custody/unseal/unseal-provider.ts';
import { sealingKey } from '../../src/keystore/sealing-key.ts';
import { Keystore } from '../../src/keystore/keystore.ts';
import { RootOfTrust } from '../../src/keystore/root-of-trust.ts';
import type { KeyFamily, KeyMaterial } from '../../src/crypto/key-material.ts';
import { instancePaths } from '../../src/server/instance.ts';

export interface RevealedKeyVersion {
  name: string;
  version: string;
  material: KeyMaterial;
  /** Each private component of the key by its JWK member name (d, p, q, dp, dq, qi, or k), as bytes. */
  privateComponents: Record<string, Buffer>;
}

export function revealStoredKeyVersions(dataDir: string): RevealedKeyVersion[] {
  const paths = instancePaths(dataDir);
  const db = new DatabaseSync(paths.database, { readOnly: true });
  try {
    const root = new RootOfTrust('key-material');
    unlockWithDomainKey(root, domainKeyFromBytes(storedDomainKey(db, readFileSync(paths.unsealKey))), 'key-material');
    const keystore = new Keystore(root);
    const rows = db.prepare(
      'SELECT k.name, v.version, v.family, v.sealed_material FROM key_versions v JOIN keys k ON k.name_lc = v.name_lc',
    ).all() as Array<{ name: string; version: string; family: KeyFamily; sealed_material: Uint8Array }>;
    return rows.map((row) => {
      const material = keystore.material({
        name: row.name, version: row.version, family: row.family, sealedMaterial: Buffer.from(row.sealed_material),
      });
      return { name: row.name, version: row.version, material, privateComponents: privateComponentsOf(material) };
    });
  } finally {
    db.close();
  }
}

function privateComponentsOf(material: KeyMaterial): Record<string, Buffer> {
  if (material.family === 'oct') return { k: material.secretKey.export() };
  const jwk = material.privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const members = material.family === 'RSA' ? ['d', 'p', 'q', 'dp', 'dq', 'qi'] : ['d'];
  return Object.fromEntries(members.map((member) => [member, Buffer.from(String(jwk[member]), 'base64url')]));
}

/** The domain key of a data directory whose domain the file unseal provider holds. */
function storedDomainKey(db: DatabaseSync, unsealKey: Buffer): Buffer {
  const row = db.prepare('SELECT value FROM settings WHERE name = ?').get(CUSTODY_SETTINGS.domain) as { value: string } | undefined;
  if (row === undefined) throw new Error('The data directory has no security domain');
  const record = JSON.parse(row.value) as SealedDomainRecord;
  return sealingKey(unsealKey).unseal(Buffer.from(record.key.wrapped, 'base64'), DOMAIN_KEY_CONTEXT);
}

/** The domain key of a data directory whose domain the file unseal provider holds (`<data-dir>/unseal-key`). */
export function revealDomainKey(dataDir: string): Buffer {
  const paths = instancePaths(dataDir);
  const db = new DatabaseSync(paths.database, { readOnly: true });
  try {
    return storedDomainKey(db, readFileSync(paths.unsealKey));
  } finally {
    db.close();
  }
}
