/** RBAC scopes of key operations, as Managed HSM names them: `/keys/{name}` for one key, `/keys` for listings. */
export const KEYS_SCOPE = '/keys';

export function keyScope(name: string): string {
  return `/keys/${name}`;
}

/** Audit fields naming a key (and the version an operation used), never anything more. */
export function keyFields(name: string, version?: string | undefined): { key: string; version?: string } {
  return version === undefined ? { key: name } : { key: name, version };
}
