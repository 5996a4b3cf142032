/** Key-version records for storage tests: version `n` of `name`, an EC P-256 key whose sealed material is `[n]`. */
import type { KeyVersion } from '../../src/domain/keys/key-model.ts';

/** The 32-hex version id of `n`. */
export const versionId = (n: number): string => n.toString(16).padStart(32, '0');

export const keyVersion = (name: string, n: number, extra: Partial<KeyVersion> = {}): KeyVersion => ({
  name, version: versionId(n), family: 'EC', curve: 'P-256', keyOps: ['sign', 'verify'], publicJwk: {},
  sealedMaterial: Buffer.from([n % 256]), attributes: { enabled: true, exportable: false, created: n, updated: n }, rowVersion: 0,
  ...extra,
});
