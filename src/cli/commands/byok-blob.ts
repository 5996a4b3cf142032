/**
 * `strongroom byok blob --kek kek-public.pem --kek-kid KID --key private.pem --out key.byok`: the vendor
 * tool's side of BYOK (reference §3.5), offline. The key (an RSA or EC private key PEM, or a raw AES key file)
 * is RSA-AES wrapped (CKM_RSA_AES_KEY_WRAP: RSA-OAEP SHA-1 of an ephemeral AES key, then RFC 5649) for the
 * key-exchange key's public key, and written as the .byok JSON that `key import --byok-file` (or
 * `az keyvault key import --byok-file`) sends. The file holds wrapped material only; it is still written
 * owner-only (0600), and the unwrapped key bytes are zeroed once wrapped.
 */
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { RSA_SIZES } from '../../crypto/key-material.ts';
import { buildTransferBlob } from '../../domain/keys/key-transfer-blob.ts';
import { COMMON_OPTIONS, CommandFailure, printResult, required, UsageError, type Command } from '../command.ts';
import { isRawAesKey, passwordOf, privateKeyFromPem, publicKeyFromPem, readKeyFile, wireCurveOf } from '../pem-keys.ts';
import { openPrivateOutputFile, type PrivateOutputFile } from '../private-output-file.ts';

const OPTIONS = {
  kek: { type: 'string', value: 'FILE', description: 'The key-exchange key\'s public key, SPKI PEM (what `strongroom key download` writes).' },
  'kek-kid': { type: 'string', value: 'KID', description: 'The key-exchange key\'s full identifier, https://HOST/keys/NAME/VERSION.' },
  key: { type: 'string', value: 'FILE', description: 'The key to transfer: RSA or EC private key PEM (PKCS#1, PKCS#8, SEC1, encrypted PKCS#8), or a raw AES key file of 16, 24 or 32 bytes.' },
  'pem-password': { type: 'string', value: 'PASSWORD', description: 'Password of an encrypted --key PEM (--pem-password-file keeps it out of the process list).' },
  'pem-password-file': { type: 'string', value: 'FILE', description: 'File whose first line is the password of an encrypted --key PEM.' },
  out: { type: 'string', value: 'FILE', description: 'Where to write the .byok transfer blob (mode 0600).' },
  force: { type: 'boolean', description: 'Replace an existing --out file.' },
  ...COMMON_OPTIONS,
} as const;

const KID = /^https:\/\/[^/]+\/keys\/[0-9a-zA-Z-]{1,127}\/[0-9a-zA-Z]{1,64}$/;

export const byokBlob: Command<typeof OPTIONS> = {
  name: 'byok blob',
  summary: 'Wrap a private key (PEM) or an AES key file for a key-exchange key: writes a .byok transfer blob for key import --byok-file.',
  examples: [
    'strongroom key download --name my-kek --out kek-public.pem',
    'strongroom byok blob --kek kek-public.pem --kek-kid https://localhost:8443/keys/my-kek/1f0e… --key private.pem --out key.byok',
    'strongroom key import --name my-key --byok-file key.byok --kty RSA',
  ],
  options: OPTIONS,
  async run(values, io) {
    const [kekFile, kid, keyFile, outFile] = [required(values.kek, '--kek'), required(values['kek-kid'], '--kek-kid'), required(values.key, '--key'), required(values.out, '--out')];
    if (!KID.test(kid)) throw new UsageError('--kek-kid must be the full key identifier, https://HOST/keys/NAME/VERSION');
    const password = passwordOf(values['pem-password'], values['pem-password-file'], ['--pem-password', '--pem-password-file']);
    const kek = kekPublicKey(kekFile);
    const target = keyToTransfer(keyFile, password);
    let out: PrivateOutputFile | undefined;
    try {
      out = openPrivateOutputFile(outFile, { force: values.force === true, option: '--out' });
      const blob = buildTransferBlob({ recipientKid: kid, recipient: kek, enc: 'CKM_RSA_AES_KEY_WRAP', payload: target.payload, generator: generator() });
      out.write(`${JSON.stringify(blob)}\n`);
      printResult(io, values.json, { out: outFile, kid, kty: target.kty, ...target.describe }, [
        `Wrote ${outFile}: ${target.summary} wrapped for ${kid}.`,
        `Import it with: strongroom key import --name NAME --byok-file ${outFile} --kty ${target.kty}${target.describe.curve === undefined ? '' : ` --curve ${target.describe.curve}`}`,
      ]);
    } finally {
      out?.abandon();
      target.payload.fill(0);
    }
  },
};

function kekPublicKey(file: string): KeyObject {
  const key = publicKeyFromPem(readKeyFile(file, '--kek'), file);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048) throw new CommandFailure(`${file} is not the public key of an RSA key-exchange key (2048, 3072 or 4096 bits)`);
  return key;
}

interface Target {
  payload: Buffer;
  kty: 'RSA' | 'EC' | 'oct';
  summary: string;
  describe: { keySize?: number; curve?: string };
}

/** The payload the blob wraps: PKCS#8 DER for RSA and EC, the raw bytes of an AES key. */
function keyToTransfer(file: string, password: string | undefined): Target {
  const content = readKeyFile(file, '--key');
  if (isRawAesKey(content)) {
    return { payload: content, kty: 'oct', summary: `an AES-${content.length * 8} key`, describe: { keySize: content.length * 8 } };
  }
  try {
    const key = privateKeyFromPem(content, file, password);
    const payload = key.export({ type: 'pkcs8', format: 'der' });
    if (key.asymmetricKeyType === 'rsa') {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (!(RSA_SIZES as readonly number[]).includes(bits)) throw new CommandFailure(`${file} is an RSA-${bits} key; Strongroom imports RSA keys of 2048, 3072 or 4096 bits`);
      return { payload, kty: 'RSA', summary: `an RSA ${bits}-bit key`, describe: { keySize: bits } };
    }
    const curve = wireCurveOf(key);
    if (curve === undefined) throw new CommandFailure(`${file} is an EC key on a curve Strongroom does not support (P-256, P-256K, P-384, P-521)`);
    return { payload, kty: 'EC', summary: `an EC ${curve} key`, describe: { curve } };
  } finally {
    content.fill(0);
  }
}

/** The blob's `generator`: this tool and its version, as vendor tools name themselves. */
function generator(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return `strongroom byok blob ${manifest.version ?? ''}`.trim();
}
