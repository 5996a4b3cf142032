/**
 * The `file` and `env` providers: a 32-byte wrapping key the operator keeps (in the data directory, or in the
 * environment), which seals the domain key with AES-256-GCM (keystore/sealing-key.ts: the blob names the
 * wrapping key's id, so the wrong key is told apart from a damaged blob).
 */
import { sealedBy, sealingKey, SealedBlobError } from '../../keystore/sealing-key.ts';
import { DOMAIN_KEY_CONTEXT, UnsealError, type UnsealProvider, type UnsealProviderKind, type WrappedDomainKey } from './unseal-provider.ts';

export const WRAPPING_KEY_BYTES = 32;

export function symmetricUnsealProvider(kind: Extract<UnsealProviderKind, 'file' | 'env'>, key: Buffer, description: string): UnsealProvider {
  if (key.length !== WRAPPING_KEY_BYTES) throw new UnsealError(`${description} is ${key.length} bytes, not a ${WRAPPING_KEY_BYTES}-byte unseal key`);
  const sealer = sealingKey(key);
  return {
    kind,
    description,
    async wrap(domainKey) {
      return { provider: kind, wrappingKeyId: sealer.id, wrapped: sealer.seal(domainKey, DOMAIN_KEY_CONTEXT).toString('base64') };
    },
    async unwrap(wrapped: WrappedDomainKey) {
      const blob = Buffer.from(wrapped.wrapped, 'base64');
      const by = safeSealedBy(blob);
      if (by !== sealer.id) {
        throw new UnsealError(
          `${description} does not open this instance's domain key (it is wrapped by unseal key ${short(by ?? wrapped.wrappingKeyId)}, ` +
            `${description} is unseal key ${short(sealer.id)}); every node needs the same unseal key`,
        );
      }
      try {
        return sealer.unseal(blob, DOMAIN_KEY_CONTEXT);
      } catch (error) {
        if (error instanceof SealedBlobError) throw new UnsealError(`The stored domain key is damaged: ${description} cannot open it`);
        throw error;
      }
    },
  };
}

function safeSealedBy(blob: Buffer): string | undefined {
  try {
    return sealedBy(blob);
  } catch {
    return undefined;
  }
}

const short = (id: string) => id.slice(0, 8);
