/**
 * The near-expiry event of a key version, as a CloudEvents 1.0 event in Event Grid's Key Vault schema
 * (`Microsoft.KeyVault.KeyNearExpiry`, data `{Id, VaultName, ObjectType, ObjectName, Version, NBF, EXP}`), so a
 * receiver written for Azure's events reads it unchanged. `source` is the vault's URL (Event Grid names the ARM
 * resource instead; there is none here).
 */
import type { IntDate } from '../../lib/intdate.ts';

export const KEY_NEAR_EXPIRY = 'Microsoft.KeyVault.KeyNearExpiry';

export interface NearExpiry {
  id: string;
  /** `https://host[:port]`: the origin the rotation policy was set through. */
  vaultUri: string;
  name: string;
  version: string;
  nbf?: IntDate | undefined;
  exp: IntDate;
  time: IntDate;
}

export function nearExpiryEvent(event: NearExpiry): Record<string, unknown> {
  const vaultName = new URL(event.vaultUri).hostname.split('.')[0] ?? '';
  return {
    specversion: '1.0',
    id: event.id,
    source: event.vaultUri,
    type: KEY_NEAR_EXPIRY,
    subject: event.name,
    time: new Date(event.time * 1000).toISOString(),
    datacontenttype: 'application/json',
    data: {
      Id: `${event.vaultUri}/keys/${event.name}/${event.version}`,
      VaultName: vaultName,
      ObjectType: 'Key',
      ObjectName: event.name,
      Version: event.version,
      NBF: event.nbf ?? null,
      EXP: event.exp,
    },
  };
}
