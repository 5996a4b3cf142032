/**
 * The RSA-AES key wrap (CKM_RSA_AES_KEY_WRAP) done by the `openssl` command line, a tool that is not ours:
 * `openssl pkeyutl` for the RSA-OAEP (SHA-1, MGF1-SHA-1) of an ephemeral AES-256 key and `openssl enc
 * -id-aes256-wrap-pad` (RFC 5649) for the payload, and the same two in reverse. Tests check Strongroom's wrap
 * and its BYOK import against these.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type OaepDigest = 'sha1' | 'sha256' | 'sha384';

function inTemporaryDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-openssl-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const openssl = (args: string[], input?: Buffer): Buffer => execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });

/** RSA-OAEP(ephemeral AES-256 key) ‖ RFC 5649 wrap of `payload`, made by the openssl CLI for `publicKeyPem`. */
export function opensslRsaAesWrap(publicKeyPem: string, payload: Buffer, digest: OaepDigest = 'sha1'): Buffer {
  return inTemporaryDir((dir) => {
    const kek = join(dir, 'kek.pem');
    writeFileSync(kek, publicKeyPem);
    const aesKey = randomBytes(32);
    const wrappedKey = openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', kek,
      '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${digest}`, '-pkeyopt', `rsa_mgf1_md:${digest}`], aesKey);
    const wrappedPayload = openssl(['enc', '-id-aes256-wrap-pad', '-K', aesKey.toString('hex'), '-iv', 'A65959A6'], payload);
    return Buffer.concat([wrappedKey, wrappedPayload]);
  });
}

/** The payload of an RSA-AES wrap, opened by the openssl CLI with `privateKeyPem`. */
export function opensslRsaAesUnwrap(privateKeyPem: string, ciphertext: Buffer, digest: OaepDigest = 'sha1'): Buffer {
  return inTemporaryDir((dir) => {
    const key = join(dir, 'key.pem');
    writeFileSync(key, privateKeyPem, { mode: 0o600 });
    const modulusBytes = Number(/\((\d+) bit/.exec(openssl(['pkey', '-in', key, '-noout', '-text']).toString())?.[1]) / 8;
    const aesKey = openssl(['pkeyutl', '-decrypt', '-inkey', key,
      '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${digest}`, '-pkeyopt', `rsa_mgf1_md:${digest}`], ciphertext.subarray(0, modulusBytes));
    const cipher = `-id-aes${aesKey.length * 8}-wrap-pad`;
    return openssl(['enc', '-d', cipher, '-K', aesKey.toString('hex'), '-iv', 'A65959A6'], ciphertext.subarray(modulusBytes));
  });
}

/** A key made by `openssl` (genpkey, genrsa, ecparam…): the PEM it writes with `args` (which must write to -out FILE). */
export function opensslKey(args: (out: string) => string[]): string {
  return inTemporaryDir((dir) => {
    const out = join(dir, 'key.pem');
    openssl(args(out));
    return readFileSync(out, 'utf8');
  });
}

/** Runs openssl with stdin `input` and gives stdout (for PKCS#8 conversion and the like). */
export function runOpenssl(args: string[], input?: Buffer): Buffer {
  return openssl(args, input);
}
