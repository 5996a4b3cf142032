/**
 * Key Vault's published service limits (transactions per vault per 10-second window), the table
 * `--throttle keyvault` enforces. One place holds every figure; src/domain/limits/service-throttle.ts counts.
 *
 * The figures are those of HSM-protected keys. Software-protected keys get double; every key here is
 * HSM-protected, so only a create naming a software type (`RSA`, `EC`, without `-HSM`) costs half.
 * AES keys (oct-HSM, Managed HSM only) have no published vault figure; they count as EC keys do.
 *
 * Limits are enforced on weighted sums: each class has one budget, counted in units of its cheapest key type,
 * and an operation costs budget ÷ its own type's limit. So one RSA-4096 operation (limit 250) costs 8 units of
 * the 2,000 the RSA-2048 figure allows, and a window holds 250 RSA-4096 operations, or 2,000 RSA-2048 ones, or
 * any mix whose sum fits.
 */
import type { KeyFamily } from '../../crypto/key-material.ts';

export const KEY_VAULT_WINDOW_SECONDS = 10;

/** Per 10 seconds, HSM keys: [create, every other transaction]. */
export const HSM_KEY_LIMITS = {
  'RSA-2048': { create: 10, other: 2000 },
  'RSA-3072': { create: 10, other: 500 },
  'RSA-4096': { create: 10, other: 250 },
  EC: { create: 10, other: 2000 },
} as const;

export const SOFTWARE_KEY_FACTOR = 2;

/** Secrets, and every transaction that is not on one key (listings, RBAC, random bytes, backups…). */
export const SECRET_LIMITS = { create: 300, other: 4000 } as const;
export const VAULT_LIMIT = 4000;

/** The budgets one window holds, in units. */
export const TRANSACTION_BUDGETS = {
  keyCreate: HSM_KEY_LIMITS['RSA-2048'].create,
  keyOther: HSM_KEY_LIMITS['RSA-2048'].other,
  secretCreate: SECRET_LIMITS.create,
  vault: VAULT_LIMIT,
} as const;

export type TransactionClass = keyof typeof TRANSACTION_BUDGETS;

export interface KeyFacts {
  family: KeyFamily;
  keySize?: number | undefined;
  /** A create request naming a software-protected type. */
  software?: boolean | undefined;
}

type LimitRow = (typeof HSM_KEY_LIMITS)[keyof typeof HSM_KEY_LIMITS];

function limitRowOf(key: KeyFacts): LimitRow {
  if (key.family !== 'RSA') return HSM_KEY_LIMITS.EC;
  if (key.keySize === 4096) return HSM_KEY_LIMITS['RSA-4096'];
  if (key.keySize === 3072) return HSM_KEY_LIMITS['RSA-3072'];
  return HSM_KEY_LIMITS['RSA-2048'];
}

/** What one transaction of `kind` on `key` costs, in units of its class's budget. */
export function keyTransactionCost(kind: 'create' | 'other', key: KeyFacts | undefined): number {
  if (key === undefined) return 1;
  const limit = limitRowOf(key)[kind] * (key.software === true ? SOFTWARE_KEY_FACTOR : 1);
  const budget = kind === 'create' ? TRANSACTION_BUDGETS.keyCreate : TRANSACTION_BUDGETS.keyOther;
  return budget / limit;
}
