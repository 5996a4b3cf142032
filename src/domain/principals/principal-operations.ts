/**
 * Service principals beyond the first administrator: create (a client secret, shown once), list, show, reset
 * the secret, delete. Managed HSM leaves identities to Entra ID; Strongroom is its own issuer, so these are ours,
 * in the same style, and they are access administration: they need the data actions that manage role
 * assignments (`roleAssignments/write` to create or reset, `…/delete` to delete, `…/read` to read), which the
 * Administrator, Crypto Officer and Policy Administrator roles hold.
 *
 * A reset bumps the principal's credential generation and a delete removes it (with its role assignments):
 * either way every token issued before stops working at once on this node (every worker: the change beacon) and
 * within PRINCIPAL_RECHECK_SECONDS on the others. Secrets are stored only as scrypt hashes and never appear in
 * the audit record. A principal may also be a managed identity: its IDENTITY_HEADER (managed-identity.ts) is
 * returned with the credentials when asked for, and is revoked by the same reset or deletion.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { badParameter } from '../../errors/errors.ts';
import { StrongroomError } from '../../errors/strongroom-error.ts';
import { generateClientSecret, hashClientSecret } from '../identity/client-secrets.ts';
import { identityHeaderFor } from '../identity/managed-identity.ts';
import { readOperation, writeOperation, type OperationEnvironment } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import type { Principal } from './principal-model.ts';

const HSM_SCOPE = '/';

/** A principal with the secret it was just given (create, reset): the only time the secret is seen. */
export interface PrincipalWithSecret {
  principal: Principal;
  /** Absent for a certificate principal: it authenticates with a client assertion signed by its key. */
  clientSecret?: string | undefined;
  /** Asked for with `managedIdentity: true`: the IDENTITY_HEADER of the principal's managed identity. */
  identityHeader?: string | undefined;
}

function withIdentityHeader(env: OperationEnvironment, result: PrincipalWithSecret, wanted: boolean | undefined): PrincipalWithSecret {
  if (wanted !== true) return result;
  return { ...result, identityHeader: identityHeaderFor(env.custody.domain.macKey('managed-identity'), result.principal) };
}

export const createPrincipal = writeOperation<{ displayName: unknown; managedIdentity?: boolean | undefined; certificate?: unknown }, PrincipalWithSecret, PrincipalWithSecret>({
  name: 'createPrincipal',
  dataAction: DataActions.writeRoleAssignments,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: (_input, output) => ({ principal: output?.principal.id }),
  async prepare({ input, now }) {
    const displayName = input.displayName;
    if (typeof displayName !== 'string' || displayName.trim() === '' || displayName.length > 256) {
      throw badParameter('displayName (1 to 256 characters) is required.');
    }
    if (input.certificate !== undefined) {
      const certificatePem = certificateOf(input.certificate);
      return { principal: { id: randomUUID(), displayName, secretHash: '', created: now, generation: 1, certificatePem } };
    }
    const clientSecret = generateClientSecret();
    const principal: Principal = { id: randomUUID(), displayName, secretHash: await hashClientSecret(clientSecret), created: now, generation: 1 };
    return { principal, clientSecret };
  },
  async run({ input, env }, unit, prepared) {
    await unit.principals.addPrincipal(prepared.principal);
    return withIdentityHeader(env, prepared, input.managedIdentity);
  },
});

export const listPrincipals = readOperation<Record<string, never>, Principal[]>({
  name: 'listPrincipals',
  dataAction: DataActions.readRoleAssignments,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: () => ({}),
  run: (_call, store) => store.principals.listPrincipals(),
});

export const getPrincipal = readOperation<{ id: string }, Principal>({
  name: 'getPrincipal',
  dataAction: DataActions.readRoleAssignments,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: (input) => ({ principal: input.id }),
  async run({ input }, store) {
    const principal = await store.principals.getPrincipal(input.id);
    if (principal === undefined) throw principalNotFound(input.id);
    return principal;
  },
});

export const resetPrincipalSecret = writeOperation<{ id: string; managedIdentity?: boolean | undefined }, PrincipalWithSecret, { clientSecret: string; secretHash: string }>({
  name: 'resetPrincipalSecret',
  dataAction: DataActions.writeRoleAssignments,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: (input) => ({ principal: input.id }),
  async prepare() {
    const clientSecret = generateClientSecret();
    return { clientSecret, secretHash: await hashClientSecret(clientSecret) };
  },
  async run({ input, env }, unit, prepared) {
    const existing = await unit.principals.getPrincipal(input.id);
    if (existing === undefined) throw principalNotFound(input.id);
    if (existing.certificatePem !== undefined) throw badParameter('A certificate principal has no secret to reset; delete it and create it again with its new certificate.');
    const principal = await unit.principals.replaceSecret(input.id, prepared.secretHash);
    if (principal === undefined) throw principalNotFound(input.id);
    unit.afterCommit(() => env.authorization.principalChanged(input.id));
    return withIdentityHeader(env, { principal, clientSecret: prepared.clientSecret }, input.managedIdentity);
  },
});

export const deletePrincipal = writeOperation<{ id: string }, Principal>({
  name: 'deletePrincipal',
  dataAction: DataActions.deleteRoleAssignments,
  beforeActivation: true,
  scope: () => HSM_SCOPE,
  audit: (input) => ({ principal: input.id }),
  async run({ input, context, env }, unit) {
    if (context.caller.id === input.id) throw badParameter('A principal cannot delete itself; ask another administrator.');
    const principal = await unit.principals.deletePrincipal(input.id);
    if (principal === undefined) throw principalNotFound(input.id);
    // Its assignments would grant nothing to anyone, but a later principal must never inherit them.
    for (const assignment of await unit.roles.listRoleAssignments({ principalId: input.id })) await unit.roles.deleteRoleAssignment(assignment.name);
    unit.afterCommit(() => {
      env.authorization.principalChanged(input.id);
      env.authorization.changed();
    });
    return principal;
  },
});

/** A PEM X.509 certificate with an RSA (2048 bits or more) or EC key; its PEM as given. */
function certificateOf(value: unknown): string {
  if (typeof value !== 'string' || value.length > 16_384) throw badParameter('certificate must be a PEM X.509 certificate.');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(value);
  } catch {
    throw badParameter('certificate must be a PEM X.509 certificate.');
  }
  const key = certificate.publicKey;
  const rsaBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (!(key.asymmetricKeyType === 'ec' || (key.asymmetricKeyType === 'rsa' && rsaBits >= 2048))) {
    throw badParameter('The certificate\'s key must be RSA (2048 bits or more) or EC.');
  }
  return certificate.toString();
}

function principalNotFound(id: string): StrongroomError {
  return new StrongroomError('PrincipalNotFound', `The principal ${id} was not found.`);
}
