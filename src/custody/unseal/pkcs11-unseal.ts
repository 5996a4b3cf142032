/**
 * `--unseal pkcs11`: the domain key is wrapped (AES-256-GCM, C_Encrypt inside the token) by an AES key that
 * never leaves a PKCS#11 token: a real HSM in production, SoftHSM2 in tests. The key is found by its label on
 * the token with the given label; when the instance has no domain yet and the token has no such key, one is
 * generated there (CKA_SENSITIVE, not CKA_EXTRACTABLE, a token object), so the first start needs nothing but an
 * initialised token and its user PIN.
 *
 * The token is opened for each wrap or unwrap and closed at once: the service needs it only at start and when a
 * security domain is uploaded, and a long-lived session would pin the HSM's resources for nothing.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { DOMAIN_KEY_CONTEXT, UnsealError, type UnsealProvider, type WrappedDomainKey } from './unseal-provider.ts';

export const PKCS11_PIN_VARIABLE = 'STRONGROOM_PKCS11_PIN';

export interface Pkcs11UnsealOptions {
  modulePath: string;
  tokenLabel: string;
  keyLabel: string;
  pin: string;
}

const IV_BYTES = 12;
const TAG_BITS = 128;

/** The PIN from `--pkcs11-pin-file` (first line) or STRONGROOM_PKCS11_PIN. */
export function pkcs11Pin(pinFile: string | undefined, env: NodeJS.ProcessEnv): string {
  if (pinFile !== undefined) {
    try {
      return (readFileSync(pinFile, 'utf8').split(/\r?\n/)[0] ?? '').trim();
    } catch (error) {
      throw new UnsealError(`--pkcs11-pin-file ${pinFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  const pin = env[PKCS11_PIN_VARIABLE];
  if (pin === undefined || pin === '') throw new UnsealError(`--unseal pkcs11 needs the token's user PIN: --pkcs11-pin-file FILE or ${PKCS11_PIN_VARIABLE}`);
  return pin;
}

export function pkcs11UnsealProvider(options: Pkcs11UnsealOptions, settings: { create: boolean }): UnsealProvider {
  const description = `the PKCS#11 key '${options.keyLabel}' on token '${options.tokenLabel}' (${options.modulePath})`;
  const wrappingKeyId = `pkcs11:token=${encodeURIComponent(options.tokenLabel)};object=${encodeURIComponent(options.keyLabel)}`;
  return {
    kind: 'pkcs11',
    description,
    async wrap(domainKey) {
      return withToken(options, description, settings.create, (token) => {
        const iv = randomBytes(IV_BYTES);
        token.module.C_EncryptInit(token.session, gcm(iv), token.key);
        const sealed = token.module.C_Encrypt(token.session, Buffer.from(domainKey), Buffer.alloc(domainKey.length + TAG_BITS / 8));
        return { provider: 'pkcs11', wrappingKeyId, wrapped: Buffer.concat([iv, sealed]).toString('base64') } satisfies WrappedDomainKey;
      });
    },
    async unwrap(wrapped) {
      if (wrapped.wrappingKeyId !== wrappingKeyId) {
        throw new UnsealError(`This instance's domain key is wrapped by ${wrapped.wrappingKeyId}, not by ${description}`);
      }
      return withToken(options, description, false, (token) => {
        const blob = Buffer.from(wrapped.wrapped, 'base64');
        try {
          token.module.C_DecryptInit(token.session, gcm(blob.subarray(0, IV_BYTES)), token.key);
          return Buffer.from(token.module.C_Decrypt(token.session, blob.subarray(IV_BYTES), Buffer.alloc(blob.length)));
        } catch (error) {
          throw new UnsealError(`${description} does not open this instance's domain key (${pkcs11Reason(error)}): it is another key, or the stored domain key is damaged`);
        }
      });
    },
  };
}

function gcm(iv: Buffer): pkcs11js.Mechanism {
  return {
    mechanism: pkcs11js.CKM_AES_GCM,
    parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, ivBits: iv.length * 8, aad: Buffer.from(DOMAIN_KEY_CONTEXT), tagBits: TAG_BITS } as pkcs11js.GcmParams,
  };
}

interface OpenToken {
  module: pkcs11js.PKCS11;
  session: pkcs11js.Handle;
  key: pkcs11js.Handle;
}

function withToken<T>(options: Pkcs11UnsealOptions, description: string, create: boolean, use: (token: OpenToken) => T): T {
  const module = new pkcs11js.PKCS11();
  try {
    module.load(options.modulePath);
  } catch (error) {
    throw new UnsealError(`The PKCS#11 module ${options.modulePath} cannot be loaded: ${String((error as Error).message ?? error)}`);
  }
  module.C_Initialize();
  try {
    const slot = module.C_GetSlotList(true).find((candidate) => module.C_GetTokenInfo(candidate).label.trim() === options.tokenLabel);
    if (slot === undefined) throw new UnsealError(`No PKCS#11 token labelled '${options.tokenLabel}' in ${options.modulePath}`);
    const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      try {
        module.C_Login(session, pkcs11js.CKU_USER, options.pin);
      } catch (error) {
        throw new UnsealError(`The PKCS#11 token '${options.tokenLabel}' refused the login (${pkcs11Reason(error)}): check the PIN`);
      }
      const key = findKey(module, session, options.keyLabel) ?? (create ? generateKey(module, session, options.keyLabel) : undefined);
      if (key === undefined) throw new UnsealError(`${description} does not exist: it is the key that opens this instance's domain`);
      return use({ module, session, key });
    } finally {
      module.C_CloseSession(session);
    }
  } finally {
    module.C_Finalize();
    module.close();
  }
}

function findKey(module: pkcs11js.PKCS11, session: pkcs11js.Handle, label: string): pkcs11js.Handle | undefined {
  module.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_LABEL, value: label },
  ]);
  try {
    const found = module.C_FindObjects(session, 2);
    if (found.length > 1) throw new UnsealError(`The PKCS#11 token holds more than one AES key labelled '${label}'; which one wraps the domain is ambiguous`);
    return found[0];
  } finally {
    module.C_FindObjectsFinal(session);
  }
}

function generateKey(module: pkcs11js.PKCS11, session: pkcs11js.Handle, label: string): pkcs11js.Handle {
  return module.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_ENCRYPT, value: true },
    { type: pkcs11js.CKA_DECRYPT, value: true },
  ]);
}

function pkcs11Reason(error: unknown): string {
  return error instanceof Error ? error.message.split(':')[0] ?? error.message : String(error);
}
