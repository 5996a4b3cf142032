/** Picks the unseal provider the configuration names. */
import { envUnsealProvider } from './env-unseal.ts';
import { fileUnsealProvider } from './file-unseal.ts';
import { pkcs11Pin, pkcs11UnsealProvider } from './pkcs11-unseal.ts';
import { UnsealError, type UnsealProvider, type UnsealProviderKind } from './unseal-provider.ts';

export interface UnsealSettings {
  kind: UnsealProviderKind;
  /** `file`: the key file. */
  keyFile: string;
  /** `pkcs11`: where the wrapping key is. */
  pkcs11?: { modulePath?: string | undefined; tokenLabel?: string | undefined; keyLabel?: string | undefined; pinFile?: string | undefined } | undefined;
}

/** `create`: the instance has no domain yet, so a missing file or token key may be made now. */
export function openUnsealProvider(settings: UnsealSettings, options: { create: boolean; env?: NodeJS.ProcessEnv }): UnsealProvider {
  const env = options.env ?? process.env;
  switch (settings.kind) {
    case 'file':
      return fileUnsealProvider(settings.keyFile, { create: options.create });
    case 'env':
      return envUnsealProvider(env);
    case 'pkcs11': {
      const { modulePath, tokenLabel, keyLabel, pinFile } = settings.pkcs11 ?? {};
      if (modulePath === undefined || tokenLabel === undefined || keyLabel === undefined) {
        throw new UnsealError('--unseal pkcs11 needs --pkcs11-module PATH, --pkcs11-token-label LABEL and --pkcs11-key-label LABEL');
      }
      return pkcs11UnsealProvider({ modulePath, tokenLabel, keyLabel, pin: pkcs11Pin(pinFile, env) }, { create: options.create });
    }
  }
}
