/**
 * setKeyTrusted: set or clear a key version's `trusted` attribute (Cloud HSM's CKA_TRUSTED), which lets it wrap
 * keys marked `wrapWithTrusted` on export (key-export.ts). It is an administrator's act with its own data action,
 * keys/trusted/write/action (Administrator and Crypto Officer), so it is an operation of its own: the kernel
 * authorizes one data action per operation, and a caller holding only keys/write/action (Crypto User) must not
 * be able to make a key trusted. `PATCH /keys/{name}/{version}` with `attributes.trusted` is routed here
 * (api/keys/key-routes.ts); such a request changes `trusted` only, so that each act is authorized and audited
 * on its own. The audit record names the key, the version and the value set.
 */
import { keyNotFound } from '../../errors/errors.ts';
import { writeOperation } from '../kernel/operation.ts';
import { DataActions } from '../rbac/data-actions.ts';
import type { KeyVersion } from './key-model.ts';
import { emptyAsLatest } from './key-names.ts';
import { keyFields, keyScope } from './key-scope.ts';

export interface SetKeyTrustedInput {
  name: string;
  version?: string | undefined;
  trusted: boolean;
}

export const setKeyTrusted = writeOperation<SetKeyTrustedInput, KeyVersion>({
  name: 'setKeyTrusted',
  dataAction: DataActions.setKeyTrusted,
  scope: (input) => keyScope(input.name),
  audit: (input, output) => ({ ...keyFields(input.name, output?.version ?? input.version), trusted: input.trusted }),
  async run(call, unit) {
    const { name, version, trusted } = call.input;
    const current = await unit.keys.getKeyVersion(name, emptyAsLatest(version));
    if (current === undefined) throw keyNotFound(name, version);
    // A concurrent change of the row makes the kernel run the unit again (row version).
    const updated = await unit.keys.updateKeyVersion(name, current.version, current.rowVersion, { trusted, updated: call.now });
    if (updated === undefined) throw keyNotFound(name, version);
    return updated;
  },
});
