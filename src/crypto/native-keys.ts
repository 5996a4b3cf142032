/**
 * Native key handles, parsed once per key and cached for the key's lifetime.
 *
 * Parsing a key costs 2-4 times the operation itself, so each Node `KeyObject` gets exactly one `NativeKey`,
 * made on first use from its exported DER and dropped with it (WeakMap: no eviction logic, no leak). Caching
 * by `KeyObject` rather than by `KeyMaterial` serves both the material's private key (sign, decrypt) and its
 * public key (verify) and also bare public keys (verification test vectors).
 */
import type { KeyObject } from 'node:crypto';
import { nativeAddon, type NativeKey } from './native.ts';

const handles = new WeakMap<KeyObject, NativeKey>();

export function nativeKeyFor(key: KeyObject): NativeKey {
  const cached = handles.get(key);
  if (cached !== undefined) return cached;
  const handle = parse(key);
  handles.set(key, handle);
  return handle;
}

function parse(key: KeyObject): NativeKey {
  const { NativeKey: NativeKeyClass } = nativeAddon();
  if (key.type === 'public') return new NativeKeyClass(key.export({ format: 'der', type: 'spki' }), 'spki');
  if (key.type !== 'private') throw new TypeError('A native key handle needs an asymmetric key');
  const der = key.export({ format: 'der', type: 'pkcs8' });
  try {
    return new NativeKeyClass(der, 'pkcs8');
  } finally {
    der.fill(0); // the exported private key must not linger in the heap
  }
}
