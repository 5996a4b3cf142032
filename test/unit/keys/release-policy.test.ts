/**
 * Issue 11: the secure key release policy grammar of Managed HSM (versions 0.2, 1.0, 1.0.0; anyOf/allOf,
 * authority, claim, the comparison operators, nesting), its evaluation against verified claims, and the rules
 * of key-attributes.ts that check it when a policy is set (create, import, update), through the kernel on a
 * real SQLite store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATIONS } from '../../../src/domain/kernel/catalogue.ts';
import { parseReleasePolicy, parseReleasePolicyData, releasePolicyAllows } from '../../../src/domain/keys/release-policy.ts';
import { SqliteStore } from '../../../src/storage/sqlite/sqlite-store.ts';
import { kernelFor } from '../../helpers/kernel.ts';

const MAA = 'https://sharedeus.eus.attest.azure.net';
const data = (policy: unknown) => Buffer.from(JSON.stringify(policy)).toString('base64url');

test('the policy of the recorded Azure traffic parses (authority with anyOf, version 1.0.0)', () => {
  // go_mhsm TestReleaseKey: release_policy.data as sent to the service.
  const recorded = 'eyJhbnlPZiI6W3siYW55T2YiOlt7ImNsYWltIjoic2RrLXRlc3QiLCJlcXVhbHMiOiJ0cnVlIn1dLCJhdXRob3JpdHkiOiJodHRwczovL3Rlc3QuYXp1cmV3ZWJzaXRlcy5uZXQifV0sInZlcnNpb24iOiIxLjAuMCJ9';
  const policy = parseReleasePolicyData(recorded);
  assert.equal(policy.version, '1.0.0');
  assert.equal(policy.authorities[0]?.authority, 'https://test.azurewebsites.net');
  // The SDK tests' attestation service issues `"sdk-test": true`, a boolean, which `"equals": "true"` accepts.
  assert.equal(releasePolicyAllows(policy, 'https://test.azurewebsites.net', { 'sdk-test': true }), true);
  assert.equal(releasePolicyAllows(policy, 'https://test.azurewebsites.net', { 'sdk-test': false }), false);
});

test('versions 0.2, 1.0 and 1.0.0 are accepted; nested groups and dotted claim paths evaluate', () => {
  for (const version of ['0.2', '1.0', '1.0.0']) {
    const policy = parseReleasePolicy({
      version,
      anyOf: [{
        authority: `${MAA}/`,
        allOf: [
          { claim: 'x-ms-isolation-tee.x-ms-attestation-type', equals: 'sevsnpvm' },
          { anyOf: [
            { claim: 'x-ms-isolation-tee.x-ms-compliance-status', equals: 'azure-compliant-cvm' },
            { allOf: [{ claim: 'x-ms-sgx-is-debuggable', equals: false }, { claim: 'x-ms-sgx-svn', greaterOrEquals: 2 }] },
          ] },
        ],
      }],
    });
    const cvm = { 'x-ms-isolation-tee': { 'x-ms-attestation-type': 'sevsnpvm', 'x-ms-compliance-status': 'azure-compliant-cvm' } };
    // The policy's trailing slash does not matter: Azure's own CVM policies carry one, MAA's `iss` does not.
    assert.equal(releasePolicyAllows(policy, MAA, cvm), true, version);
    assert.equal(releasePolicyAllows(policy, 'https://other.attest.azure.net', cvm), false, 'another authority');
    const sgxLike = { 'x-ms-isolation-tee': { 'x-ms-attestation-type': 'sevsnpvm', 'x-ms-compliance-status': 'no' }, 'x-ms-sgx-is-debuggable': false, 'x-ms-sgx-svn': 3 };
    assert.equal(releasePolicyAllows(policy, MAA, sgxLike), true, 'the nested allOf');
    assert.equal(releasePolicyAllows(policy, MAA, { ...sgxLike, 'x-ms-sgx-svn': 1 }), false);
    assert.equal(releasePolicyAllows(policy, MAA, {}), false, 'absent claims satisfy nothing');
  }
});

test('every operator, and deny by default for absent or structured claims', () => {
  const allows = (condition: object, claims: Record<string, unknown>) =>
    releasePolicyAllows(parseReleasePolicy({ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [condition] }] }), MAA, claims);
  assert.equal(allows({ claim: 'a', equals: 'x' }, { a: 'x' }), true);
  assert.equal(allows({ claim: 'a', equals: 'x' }, { a: 'X' }), false, 'strings compare exactly');
  assert.equal(allows({ claim: 'a', equals: 2 }, { a: '2' }), true);
  assert.equal(allows({ claim: 'a', equals: 'x' }, { a: ['x'] }), false, 'an array claim is not a scalar');
  assert.equal(allows({ claim: 'a', notEquals: 'x' }, { a: 'y' }), true);
  assert.equal(allows({ claim: 'a', notEquals: 'x' }, {}), false, 'an absent claim does not satisfy notEquals');
  assert.equal(allows({ claim: 'n', less: 5 }, { n: 4 }), true);
  assert.equal(allows({ claim: 'n', less: 5 }, { n: 5 }), false);
  assert.equal(allows({ claim: 'n', lessOrEquals: 5 }, { n: 5 }), true);
  assert.equal(allows({ claim: 'n', greater: 5 }, { n: '6' }), true);
  assert.equal(allows({ claim: 'n', greater: 5 }, { n: 'six' }), false);
  assert.equal(allows({ claim: 'n', greaterOrEquals: 5 }, { n: 5 }), true);
  assert.equal(allows({ claim: 'a', exists: true }, { a: 0 }), true);
  assert.equal(allows({ claim: 'a', exists: false }, {}), true);
  assert.equal(allows({ claim: 'a', exists: true }, {}), false);
  // An empty anyOf releases to nobody (a policy that names no authority yet is allowed, and is safe).
  assert.equal(releasePolicyAllows(parseReleasePolicy({ version: '1.0.0', anyOf: [] }), MAA, {}), false);
});

test('a malformed policy is a 400 naming the defect', () => {
  const cases: Array<[unknown, RegExp]> = [
    [[], /\(policy\) must be a JSON object/],
    [{ anyOf: [] }, /version must be one of "0\.2", "1\.0", "1\.0\.0"/],
    [{ version: '2.0', anyOf: [] }, /version must be one of/],
    [{ version: '1.0.0' }, /anyOf must be an array/],
    [{ version: '1.0.0', anyOf: [], extra: 1 }, /\(policy\) has an unknown member 'extra'/],
    [{ version: '1.0.0', anyOf: [{ allOf: [{ claim: 'a', equals: 'b' }] }] }, /anyOf\[0\]\.authority must be the https URL/],
    [{ version: '1.0.0', anyOf: [{ authority: 'http://plain.example', allOf: [{ claim: 'a', equals: 'b' }] }] }, /anyOf\[0\]\.authority must be the https URL/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA }] }, /anyOf\[0\] must have exactly one of anyOf or allOf/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, anyOf: [], allOf: [] }] }, /anyOf\[0\] must have exactly one of anyOf or allOf/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [] }] }, /anyOf\[0\]\.allOf must list at least one condition/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [{ claim: '', equals: 'b' }] }] }, /anyOf\[0\]\.allOf\[0\]\.claim must be a non-empty string/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [{ claim: 'a' }] }] }, /anyOf\[0\]\.allOf\[0\] must have exactly one operator/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [{ claim: 'a', equals: 'b', less: 1 }] }] }, /exactly one operator/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [{ claim: 'a', equals: { x: 1 } }] }] }, /allOf\[0\]\.equals must be a string, a number, true or false/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [{ claim: 'a', less: '1' }] }] }, /allOf\[0\]\.less must be a number/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [{ claim: 'a', exists: 'yes' }] }] }, /allOf\[0\]\.exists must be true or false/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [{ claim: 'a', equals: 'b', note: 'x' }] }] }, /allOf\[0\] has an unknown member 'note'/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [{ allOf: [] }] }] }, /allOf\[0\]\.allOf must list at least one condition/],
    [{ version: '1.0.0', anyOf: [{ authority: MAA, allOf: ['claim'] }] }, /allOf\[0\] must be a JSON object/],
  ];
  for (const [policy, message] of cases) {
    assert.throws(() => parseReleasePolicy(policy), (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'BadParameter', JSON.stringify(policy));
      assert.match(error.message ?? '', message, JSON.stringify(policy));
      return true;
    });
  }
  let deep: object = { claim: 'a', equals: 'b' };
  for (let level = 0; level < 20; level += 1) deep = { anyOf: [deep] };
  assert.throws(() => parseReleasePolicy({ version: '1.0.0', anyOf: [{ authority: MAA, anyOf: [deep] }] }), /deeper than 16 levels/);
  assert.throws(() => parseReleasePolicyData(Buffer.from('not json').toString('base64url')), /release_policy\.data is not JSON/);
});

function setup() {
  const store = new SqliteStore(':memory:');
  store.migrate();
  const { kernel, admin } = kernelFor(store);
  const create = (name: string, request: object) => kernel.perform(admin, OPERATIONS.createKey, { name, request: request as never });
  const importKey = (name: string, request: object) => kernel.perform(admin, OPERATIONS.importKey, { name, request: request as never });
  const update = (name: string, request: object) => kernel.perform(admin, OPERATIONS.updateKey, { name, request });
  return { create, importKey, update };
}

const good = { data: data({ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [{ claim: 'x-ms-attestation-type', equals: 'sevsnpvm' }] }] }) };
const malformed = { data: data({ version: '1.0.0', anyOf: [{ authority: MAA, allOf: [] }] }) };

test('create, import and update check the grammar of a policy they set', async () => {
  const { create, importKey, update } = setup();
  await assert.rejects(create('bad', { kty: 'EC', attributes: { exportable: true }, release_policy: malformed }), { code: 'BadParameter', message: /allOf must list at least one condition/ });
  const key = { kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url') };
  await assert.rejects(importKey('bad', { key, attributes: { exportable: true }, release_policy: malformed }), { code: 'BadParameter', message: /key release policy is malformed/ });
  await create('fine', { kty: 'EC', attributes: { exportable: true }, release_policy: good });
  await assert.rejects(update('fine', { release_policy: malformed }), { code: 'BadParameter', message: /key release policy is malformed/ });
  const updated = await update('fine', { release_policy: { ...good, immutable: true } });
  assert.equal(updated.releasePolicy?.immutable, true);
  // AKV.SKR texts keep precedence over the grammar: they name the rule the request broke first.
  await assert.rejects(update('fine', { release_policy: malformed }), { message: 'AKV.SKR.1020: Immutable Key Release Policy cannot be modified.' });
  await assert.rejects(update('fine', { release_policy: { ...good, immutable: false } }), { message: 'AKV.SKR.1020: Immutable Key Release Policy cannot be modified.' });
  await assert.rejects(create('plain', { kty: 'EC', release_policy: malformed }), { message: 'AKV.SKR.1005: Non-exportable keys must not have release policy.' });
  // An exportable key can be made non-exportable; it never returns, and its immutable policy stays.
  const locked = await update('fine', { attributes: { exportable: false } });
  assert.equal(locked.attributes.exportable, false);
  assert.equal(locked.releasePolicy?.immutable, true);
  await assert.rejects(update('fine', { attributes: { exportable: true } }), { code: 'BadParameter' });
});
