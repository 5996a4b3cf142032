/**
 * Issue 12: Key Vault's service limits. The table holds the published figures, operations cost by their key's
 * type (one RSA-4096 operation = 8 RSA-2048 ones), and the counter admits while a window's budget lasts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HSM_KEY_LIMITS, keyTransactionCost, SECRET_LIMITS, TRANSACTION_BUDGETS, VAULT_LIMIT } from '../../../src/domain/limits/service-limits.ts';
import { ServiceThrottle } from '../../../src/domain/limits/service-throttle.ts';
import { requestedKeyFacts, transactionClassOf, transactionCost } from '../../../src/domain/limits/transaction-classes.ts';

test('the table holds Key Vault\'s published figures per 10 seconds (HSM keys)', () => {
  assert.deepEqual(HSM_KEY_LIMITS, {
    'RSA-2048': { create: 10, other: 2000 },
    'RSA-3072': { create: 10, other: 500 },
    'RSA-4096': { create: 10, other: 250 },
    EC: { create: 10, other: 2000 },
  });
  assert.deepEqual(SECRET_LIMITS, { create: 300, other: 4000 });
  assert.equal(VAULT_LIMIT, 4000);
});

test('operations are weighted by key type and enforced on the sum', () => {
  assert.equal(keyTransactionCost('other', { family: 'RSA', keySize: 2048 }), 1);
  assert.equal(keyTransactionCost('other', { family: 'RSA', keySize: 3072 }), 4);
  assert.equal(keyTransactionCost('other', { family: 'RSA', keySize: 4096 }), 8);
  assert.equal(keyTransactionCost('other', { family: 'EC' }), 1);
  assert.equal(keyTransactionCost('create', { family: 'RSA', keySize: 4096 }), 1);
  // Software-protected types get double the limit, so half the cost.
  assert.equal(keyTransactionCost('create', { family: 'EC', software: true }), 0.5);
  // A window holds exactly 250 RSA-4096 operations.
  assert.equal(TRANSACTION_BUDGETS.keyOther / keyTransactionCost('other', { family: 'RSA', keySize: 4096 }), 250);
});

test('operations map to their class; a create is weighed by the type its body asks for', () => {
  assert.equal(transactionClassOf('createKey'), 'keyCreate');
  assert.equal(transactionClassOf('importKey'), 'keyCreate');
  assert.equal(transactionClassOf('sign'), 'keyOther');
  assert.equal(transactionClassOf('getKey'), 'keyOther');
  assert.equal(transactionClassOf('getKeys'), 'vault');
  assert.equal(transactionClassOf('createRoleAssignment'), 'vault');
  assert.deepEqual(requestedKeyFacts('createKey', { kty: 'RSA-HSM', key_size: 4096 }), { family: 'RSA', keySize: 4096, software: false });
  assert.deepEqual(requestedKeyFacts('importKey', { key: { kty: 'EC' } }), { family: 'EC', keySize: undefined, software: true });
  assert.equal(transactionCost('getKeys', undefined), 1);
});

test('the counter admits while the budget lasts, then answers the seconds left in the window', () => {
  let now = 1_000_000_000_000; // a window boundary (a multiple of 10 s)
  const throttle = new ServiceThrottle({ scale: 0.002, clock: () => now }); // keyOther budget: 4 units
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(throttle.admit('keyOther'), { admitted: true });
    throttle.charge('keyOther', 1);
  }
  now += 2_500;
  assert.deepEqual(throttle.admit('keyOther'), { admitted: false, retryAfterSeconds: 8 });
  // Other classes keep their own budget.
  assert.deepEqual(throttle.admit('vault'), { admitted: true });
  now += 7_500;
  assert.deepEqual(throttle.admit('keyOther'), { admitted: true }, 'a new window starts afresh');
});

test('one RSA-4096 operation uses what eight RSA-2048 ones would', () => {
  const now = 1_000_000_000_000;
  const throttle = new ServiceThrottle({ scale: 0.004, clock: () => now }); // 8 units
  assert.equal(throttle.admit('keyOther').admitted, true);
  throttle.charge('keyOther', keyTransactionCost('other', { family: 'RSA', keySize: 4096 }));
  assert.equal(throttle.admit('keyOther').admitted, false);
});

test('each worker counts its share of the budget', () => {
  const now = 1_000_000_000_000;
  const throttle = new ServiceThrottle({ scale: 0.002, share: 0.5, clock: () => now }); // 2 of the 4 units
  throttle.charge('keyOther', 2);
  assert.equal(throttle.admit('keyOther').admitted, false);
});
