/**
 * Which of Key Vault's transaction classes (service-limits.ts) each operation counts against, and what decides
 * its cost: creates by the key type they ask for, operations on one key by that key's type, secret creates
 * (set, restore) one unit of the secrets create budget, everything else (other secret operations, listings, RBAC,
 * random bytes, backups, the security domain) one unit of the vault budget ("secrets and vault transactions").
 */
import type { OperationName } from '../kernel/catalogue.ts';
import { keyTransactionCost, type KeyFacts, type TransactionClass } from './service-limits.ts';

const KEY_CREATES: ReadonlySet<string> = new Set<OperationName>(['createKey', 'importKey', 'rotateKey', 'restoreKey']);

/** Operations on one key, named by the request's path. */
const KEY_TRANSACTIONS: ReadonlySet<string> = new Set<OperationName>([
  'getKey', 'updateKey', 'deleteKey', 'getKeyVersions', 'getDeletedKey', 'recoverDeletedKey', 'purgeDeletedKey',
  'backupKey', 'sign', 'verify', 'encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'release', 'exportKey', 'getKeyAttestation',
  'getKeyRotationPolicy', 'updateKeyRotationPolicy',
]);

/** Key Vault's "secrets create" transactions; every other secret operation is a vault transaction. */
const SECRET_CREATES: ReadonlySet<string> = new Set<OperationName>(['setSecret', 'restoreSecret']);

export function transactionClassOf(operation: string): TransactionClass {
  if (KEY_CREATES.has(operation)) return 'keyCreate';
  if (SECRET_CREATES.has(operation)) return 'secretCreate';
  if (KEY_TRANSACTIONS.has(operation)) return 'keyOther';
  return 'vault';
}

/** What a create asks for, from its body: the type, and whether it names a software-protected one. */
export function requestedKeyFacts(operation: string, body: unknown): KeyFacts | undefined {
  const request = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const key = operation === 'importKey' && typeof request['key'] === 'object' && request['key'] !== null
    ? (request['key'] as Record<string, unknown>)
    : request;
  const kty = typeof key['kty'] === 'string' ? key['kty'] : undefined;
  if (kty === undefined) return undefined;
  const family = kty.startsWith('RSA') ? 'RSA' : kty.startsWith('EC') ? 'EC' : 'oct';
  const keySize = typeof request['key_size'] === 'number' ? request['key_size'] : undefined;
  return { family, keySize, software: !kty.endsWith('-HSM') };
}

/** The cost of one transaction of `operation`, given the key it is on (or asks for), when known. */
export function transactionCost(operation: string, key: KeyFacts | undefined): number {
  const transactionClass = transactionClassOf(operation);
  if (transactionClass === 'keyCreate') return keyTransactionCost('create', key);
  if (transactionClass === 'keyOther') return keyTransactionCost('other', key);
  return 1;
}
