/** Rotation policies: ISO 8601 durations and their calendar arithmetic, every validation rule, and when triggers come. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StrongroomError } from '../../../src/errors/strongroom-error.ts';
import { maximumSeconds, minimumSeconds, parseIsoDuration, shiftIntDate } from '../../../src/lib/iso-duration.ts';
import { MAX_INT_DATE } from '../../../src/lib/intdate.ts';
import { expiryFor, isDue, rotationPolicyOf, type RotationPolicyRequest } from '../../../src/domain/keys/rotation-policy.ts';

const DAY = 86_400;
const at = (iso: string) => Date.parse(iso) / 1000;

describe('ISO 8601 durations', () => {
  test('parses the forms policies use', () => {
    assert.deepEqual(parseIsoDuration('P90D'), { years: 0, months: 0, weeks: 0, days: 90, hours: 0, minutes: 0, seconds: 0 });
    assert.equal(parseIsoDuration('P3M')?.months, 3);
    assert.equal(parseIsoDuration('PT48H')?.hours, 48);
    assert.deepEqual([parseIsoDuration('P1Y10D')?.years, parseIsoDuration('P1Y10D')?.days], [1, 10]);
    assert.equal(parseIsoDuration('P2W')?.weeks, 2);
    assert.equal(parseIsoDuration('P1DT12H30M5S')?.seconds, 5);
    for (const bad of ['', 'P', 'PT', '90D', 'P-1D', 'P1.5D', 'P1DT', 'P1H', 'PT1D', 'xyz', 'P1Y2Y']) {
      assert.equal(parseIsoDuration(bad), undefined, bad);
    }
  });

  test('months and years are calendar units, clamped to the month end', () => {
    assert.equal(shiftIntDate(at('2026-01-31T00:00:00Z'), parseIsoDuration('P1M')!), at('2026-02-28T00:00:00Z'));
    assert.equal(shiftIntDate(at('2024-02-29T10:00:00Z'), parseIsoDuration('P1Y')!), at('2025-02-28T10:00:00Z'));
    assert.equal(shiftIntDate(at('2026-03-31T00:00:00Z'), parseIsoDuration('P1M')!, -1), at('2026-02-28T00:00:00Z'));
    assert.equal(shiftIntDate(at('2026-01-01T00:00:00Z'), parseIsoDuration('P1Y10DT1H')!), at('2027-01-11T01:00:00Z'));
  });

  test('a shift stays within Key Vault\'s dates, however long the duration', () => {
    const now = at('2026-12-02T00:00:00Z');
    // Past year 275760 a JavaScript date is NaN; past 9999 Key Vault has no date.
    assert.equal(shiftIntDate(now, parseIsoDuration('P300000Y')!), MAX_INT_DATE);
    assert.equal(shiftIntDate(now, parseIsoDuration('P9000Y')!), MAX_INT_DATE);
    assert.equal(shiftIntDate(now, parseIsoDuration('P99999999999D')!), MAX_INT_DATE);
    assert.equal(shiftIntDate(now, parseIsoDuration('P300000Y')!, -1), 0);
    assert.equal(shiftIntDate(now, parseIsoDuration('P100Y')!), at('2126-12-02T00:00:00Z'));
    assert.equal(minimumSeconds(parseIsoDuration('P1M')!), 28 * DAY);
    assert.equal(maximumSeconds(parseIsoDuration('P1M')!), 31 * DAY);
  });
});

function refused(request: RotationPolicyRequest, message: RegExp): void {
  assert.throws(() => rotationPolicyOf(request), (error: unknown) => {
    assert.ok(error instanceof StrongroomError);
    assert.equal(error.code, 'BadParameter');
    assert.match(error.message, message);
    return true;
  });
}

const rotate = (trigger: Record<string, string>, type = 'Rotate') => ({ trigger, action: { type } });

describe('rotation policy rules', () => {
  test('a valid policy is kept as sent, action types spelled canonically', () => {
    const policy = rotationPolicyOf({
      lifetimeActions: [rotate({ timeAfterCreate: 'P30D' }, 'rotate'), rotate({ timeBeforeExpiry: 'P10D' }, 'NOTIFY')],
      attributes: { expiryTime: 'P90D' },
    });
    assert.deepEqual(policy, {
      expiryTime: 'P90D',
      lifetimeActions: [{ type: 'Rotate', timeAfterCreate: 'P30D' }, { type: 'Notify', timeBeforeExpiry: 'P10D' }],
    });
    assert.deepEqual(rotationPolicyOf({}), { lifetimeActions: [] });
    assert.deepEqual(rotationPolicyOf({ lifetimeActions: null, attributes: { expiryTime: null } }), { lifetimeActions: [] });
  });

  test('every rule refuses with a clear message', () => {
    refused({ attributes: { expiryTime: 'ninety days' } }, /attributes\.expiryTime must be a positive ISO 8601 duration/);
    refused({ attributes: { expiryTime: 'P27D' } }, /at least 28 days/);
    refused({ attributes: { expiryTime: 'P0D' } }, /positive ISO 8601 duration/);
    refused({ lifetimeActions: [rotate({ timeAfterCreate: 'P30D' }, 'Delete')] }, /must be Rotate or Notify, not 'Delete'/);
    refused({ lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' } }] }, /must be Rotate or Notify/);
    refused({ lifetimeActions: [rotate({ timeAfterCreate: 'P30D' }), rotate({ timeAfterCreate: 'P40D' }, 'rotate')] }, /at most one Rotate/);
    refused({ lifetimeActions: [rotate({ timeBeforeExpiry: 'P3D' }, 'Notify'), rotate({ timeBeforeExpiry: 'P4D' }, 'Notify')] }, /at most one Notify/);
    refused({ lifetimeActions: [rotate({ timeAfterCreate: 'P30D', timeBeforeExpiry: 'P10D' })] }, /exactly one of timeAfterCreate and timeBeforeExpiry/);
    refused({ lifetimeActions: [rotate({})] }, /exactly one of/);
    refused({ lifetimeActions: [rotate({ timeAfterCreate: 'P30D' }, 'Notify')] }, /timeAfterCreate is only valid for a Rotate action/);
    refused({ lifetimeActions: [rotate({ timeAfterCreate: 'P30' })] }, /lifetimeActions\[0\]\.trigger\.timeAfterCreate must be a positive ISO 8601 duration/);
    refused({ lifetimeActions: [rotate({ timeAfterCreate: 'P6D' })] }, /at least 7 days/);
    refused({ lifetimeActions: [rotate({ timeBeforeExpiry: 'P30D' })] }, /needs attributes\.expiryTime/);
    refused({ lifetimeActions: [rotate({ timeBeforeExpiry: 'P30D' })], attributes: { expiryTime: 'P30D' } }, /7 days shorter than attributes\.expiryTime/);
    refused({ lifetimeActions: [rotate({ timeAfterCreate: 'P1M' })], attributes: { expiryTime: 'P35D' } }, /7 days shorter/);
  });
});

describe('triggers', () => {
  const created = at('2026-01-01T00:00:00Z');
  test('timeAfterCreate counts from the version\'s creation, timeBeforeExpiry back from its exp', () => {
    const policy = rotationPolicyOf({ lifetimeActions: [rotate({ timeAfterCreate: 'P30D' }), rotate({ timeBeforeExpiry: 'P7D' }, 'Notify')] });
    assert.equal(isDue(policy, 'Rotate', { created }, created + 30 * DAY - 1), false);
    assert.equal(isDue(policy, 'Rotate', { created }, created + 30 * DAY), true);
    assert.equal(isDue(policy, 'Notify', { created }, created + 1000 * DAY), false, 'no exp, no near-expiry');
    const exp = created + 60 * DAY;
    assert.equal(isDue(policy, 'Notify', { created, exp }, exp - 7 * DAY - 1), false);
    assert.equal(isDue(policy, 'Notify', { created, exp }, exp - 7 * DAY), true);
  });

  test('expiryTime sets the exp of a version made now', () => {
    assert.equal(expiryFor(rotationPolicyOf({ attributes: { expiryTime: 'P90D' } }), created), created + 90 * DAY);
    assert.equal(expiryFor(rotationPolicyOf({}), created), undefined);
    assert.equal(expiryFor(undefined, created), undefined);
  });
});
