/**
 * Test-only hook of the store layer: reads every stored key version straight from a data directory's SQLite
 * file (deleted ones too) and opens its sealed material with the key-material root of trust unlocked from the
 * data directory's key-encryption key, the way the service does. Never through the API, which must not be able to return private material at all.
 */
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { keyEncryptionKeyFromBytes, unlockWithKek } from '../../src/keystore/key-encryption-key.ts';
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
  const root = new RootOfTrust('key-material');
  unlockWithKek(root, keyEncryptionKeyFromBytes(readFileSync(paths.keyEncryptionKey)), 'key-material');
  const keystore = new Keystore(root);
  const db = new DatabaseSync(paths.database, { readOnly: true });
  try {
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
