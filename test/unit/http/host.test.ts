import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostnameOf, isValidHostHeader, resourceFor } from '../../../src/http/host.ts';

test('the resource is the host minus its first label, or the host itself', () => {
  assert.equal(resourceFor('myvault.vault.localhost:8443'), 'https://vault.localhost');
  assert.equal(resourceFor('hsm.managedhsm.example.test'), 'https://managedhsm.example.test');
  assert.equal(resourceFor('localhost:8443'), 'https://localhost');
  assert.equal(resourceFor('127.0.0.1:8443'), 'https://127.0.0.1');
  assert.equal(resourceFor('[::1]:8443'), 'https://::1');
  assert.equal(resourceFor('MyVault.Vault.LocalHost'), 'https://vault.localhost');
});

test('host names lose port and brackets', () => {
  assert.equal(hostnameOf('[::1]:8443'), '::1');
  assert.equal(hostnameOf('Example.test:1'), 'example.test');
});

test('Host headers that could inject into a challenge header are refused', () => {
  for (const host of ['a.b', 'localhost:8443', '127.0.0.1', '[::1]:1']) assert.ok(isValidHostHeader(host), host);
  for (const host of [undefined, '', 'a"b', 'a,b', 'a b', 'x'.repeat(300), 'a/b']) assert.ok(!isValidHostHeader(host), String(host));
});
