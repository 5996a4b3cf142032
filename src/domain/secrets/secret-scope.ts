/** RBAC scopes of secret operations, as keys' are: `/secrets/{name}` for one secret, `/secrets` for listings. */
export const SECRETS_SCOPE = '/secrets';

export function secretScope(name: string): string {
  return `/secrets/${name}`;
}

/** Audit fields naming a secret (and the version an operation used), never its value. */
export function secretFields(name: string, version?: string | undefined): { secret: string; version?: string } {
  return version === undefined ? { secret: name } : { secret: name, version };
}
