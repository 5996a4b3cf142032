/**
 * The failed-login throttle's arithmetic (issue 7), on a fake clock: bursts, refill, whole-second Retry-After,
 * per-client and per-address budgets, release of attempts that did not fail, and the memory bound.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FailureBuckets } from '../../../src/domain/identity/failure-buckets.ts';
import {
  ADDRESS_FAILURES,
  addressKey,
  CLIENT_FAILURES,
  LoginThrottle,
} from '../../../src/domain/identity/login-throttle.ts';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

const fromHome = (clientId: string) => ({ clientId, sourceAddress: '192.0.2.10' });

describe('FailureBuckets', () => {
  test('a fresh key may spend the burst at once, then waits 1/refill seconds per failure', () => {
    const buckets = new FailureBuckets({ burst: 3, refillPerSecond: 2, maxKeys: 10 });
    for (let i = 0; i < 3; i += 1) {
      assert.equal(buckets.waitSeconds('k', 0), 0);
      buckets.spend('k', 0);
    }
    assert.equal(buckets.waitSeconds('k', 0), 0.5);
    assert.equal(buckets.waitSeconds('k', 250), 0.25);
    assert.equal(buckets.waitSeconds('k', 500), 0);
    // Refill never exceeds the burst, however long the key was quiet.
    assert.equal(buckets.waitSeconds('k', 3_600_000), 0);
    for (let i = 0; i < 3; i += 1) buckets.spend('k', 3_600_000);
    assert.ok(buckets.waitSeconds('k', 3_600_000) > 0);
  });

  test('a refund gives one failure back, and a full bucket is forgotten', () => {
    const buckets = new FailureBuckets({ burst: 2, refillPerSecond: 1, maxKeys: 10 });
    buckets.spend('k', 0);
    buckets.spend('k', 0);
    assert.ok(buckets.waitSeconds('k', 0) > 0);
    buckets.refund('k', 0);
    assert.equal(buckets.waitSeconds('k', 0), 0);
    assert.equal(buckets.size, 1);
    buckets.refund('k', 0);
    assert.equal(buckets.size, 0);
  });

  test('at most maxKeys keys are tracked; the one that spent longest ago goes first', () => {
    const buckets = new FailureBuckets({ burst: 1, refillPerSecond: 0.001, maxKeys: 3 });
    buckets.spend('a', 0);
    buckets.spend('b', 0);
    buckets.spend('c', 0);
    buckets.spend('a', 1); // a spends again: now b is the oldest
    buckets.spend('d', 2);
    assert.equal(buckets.size, 3);
    assert.equal(buckets.waitSeconds('b', 2), 0, 'b was evicted');
    assert.ok(buckets.waitSeconds('a', 2) > 0);
    assert.ok(buckets.waitSeconds('c', 2) > 0);
    assert.ok(buckets.waitSeconds('d', 2) > 0);
  });
});

describe('LoginThrottle', () => {
  test(`a client id may fail ${CLIENT_FAILURES.burst} times, then once per second, with Retry-After in whole seconds`, () => {
    const time = clock();
    const throttle = new LoginThrottle({ now: time.now });
    for (let i = 0; i < CLIENT_FAILURES.burst; i += 1) assert.deepEqual(throttle.admit(fromHome('client-1')), { admitted: true });
    assert.deepEqual(throttle.admit(fromHome('client-1')), { admitted: false, retryAfterSeconds: 1 });
    time.advance(999);
    assert.deepEqual(throttle.admit(fromHome('client-1')), { admitted: false, retryAfterSeconds: 1 });
    time.advance(1);
    assert.deepEqual(throttle.admit(fromHome('client-1')), { admitted: true });
    assert.equal(throttle.admit(fromHome('client-1')).admitted, false);
    // Another client from the same address is not affected.
    assert.deepEqual(throttle.admit(fromHome('client-2')), { admitted: true });
  });

  test('Retry-After rounds the wait up to whole seconds', () => {
    const time = clock();
    const throttle = new LoginThrottle({ now: time.now, clients: { burst: 1, refillPerSecond: 0.25, maxKeys: 10 } });
    throttle.admit(fromHome('client-1'));
    assert.deepEqual(throttle.admit(fromHome('client-1')), { admitted: false, retryAfterSeconds: 4 });
    time.advance(1_500);
    assert.deepEqual(throttle.admit(fromHome('client-1')), { admitted: false, retryAfterSeconds: 3 });
  });

  test('released attempts (successful logins) never count', () => {
    const throttle = new LoginThrottle({ now: clock().now });
    for (let i = 0; i < 10 * CLIENT_FAILURES.burst; i += 1) {
      assert.equal(throttle.admit(fromHome('client-1')).admitted, true, `login ${i}`);
      throttle.release(fromHome('client-1'));
    }
    assert.deepEqual(throttle.tracked, { clients: 0, addresses: 0 });
  });

  test(`an address may fail ${ADDRESS_FAILURES.burst} times across client ids; other addresses are not affected`, () => {
    const throttle = new LoginThrottle({ now: clock().now });
    for (let i = 0; i < ADDRESS_FAILURES.burst; i += 1) {
      assert.equal(throttle.admit({ clientId: `client-${i}`, sourceAddress: '198.51.100.7' }).admitted, true);
    }
    assert.deepEqual(throttle.admit({ clientId: 'client-new', sourceAddress: '198.51.100.7' }), { admitted: false, retryAfterSeconds: 1 });
    assert.deepEqual(throttle.admit({ clientId: 'client-new', sourceAddress: '198.51.100.8' }), { admitted: true });
  });

  test('a refused attempt reserves nothing: the other budget is not spent', () => {
    const throttle = new LoginThrottle({ now: clock().now, addresses: { burst: 2, refillPerSecond: 1, maxKeys: 10 } });
    throttle.admit({ clientId: 'a', sourceAddress: '192.0.2.1' });
    throttle.admit({ clientId: 'b', sourceAddress: '192.0.2.1' });
    for (let i = 0; i < 20; i += 1) assert.equal(throttle.admit({ clientId: 'c', sourceAddress: '192.0.2.1' }).admitted, false);
    // client c spent nothing while its address was refused.
    for (let i = 0; i < CLIENT_FAILURES.burst; i += 1) assert.equal(throttle.admit({ clientId: 'c', sourceAddress: `192.0.2.${100 + i}` }).admitted, true);
  });

  test('client ids compare case-insensitively', () => {
    const throttle = new LoginThrottle({ now: clock().now });
    for (let i = 0; i < CLIENT_FAILURES.burst; i += 1) throttle.admit({ clientId: 'ABCDEF', sourceAddress: `192.0.2.${i}` });
    assert.equal(throttle.admit({ clientId: 'abcdef', sourceAddress: '203.0.113.1' }).admitted, false);
  });

  test('memory stays bounded however many client ids and addresses fail', () => {
    const throttle = new LoginThrottle({
      now: clock().now,
      clients: { burst: 10, refillPerSecond: 1, maxKeys: 100 },
      addresses: { burst: 10, refillPerSecond: 1, maxKeys: 100 },
    });
    for (let i = 0; i < 5_000; i += 1) throttle.admit({ clientId: `client-${i}`.repeat(100), sourceAddress: `10.${i >> 8 & 255}.${i & 255}.1` });
    assert.deepEqual(throttle.tracked, { clients: 100, addresses: 100 });
  });
});

describe('addressKey', () => {
  test('IPv4 addresses count one by one, IPv4-mapped IPv6 as the IPv4 address', () => {
    assert.equal(addressKey('192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.notEqual(addressKey('192.0.2.1'), addressKey('192.0.2.2'));
  });

  test('IPv6 addresses count by /64, however they are written', () => {
    assert.equal(addressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:DB8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
    assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
  });
});
