/**
 * The trusted execution environment's side of a secure key release, for tests, written from the wire format
 * alone (no Strongroom code): check the answer's JWS against its x5c chain and a pinned instance root, then
 * open `key_hsm` with the TEE's private key — RSA-OAEP (SHA-1/256/384 by `enc`) for the ephemeral AES key, then
 * the RFC 5649 unwrap (Node's `id-aes256-wrap-pad`, OpenSSL's cipher of that name).
 */
import assert from 'node:assert/strict';
import { constants, createDecipheriv, createVerify, generateKeyPairSync, privateDecrypt, X509Certificate, type KeyObject } from 'node:crypto';

export interface Tee {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newTee(modulusLength = 2048): Tee {
  return generateKeyPairSync('rsa', { modulusLength });
}

export interface ReleaseAnswer {
  header: { alg: string; typ?: string; kid?: string; x5t?: string; 'x5t#S256'?: string; x5c: string[] };
  payload: {
    request: { 'api-version': string; enc: string; kid: string; nonce?: string };
    response: { key: { key: Record<string, unknown> & { kid: string; kty: string; key_ops: string[]; key_hsm: string }; attributes: Record<string, unknown>; tags?: Record<string, string>; release_policy?: Record<string, unknown> } };
  };
}

/** Verifies the JWS (RS256 by the first x5c certificate, which the last, the root, issued) and returns it decoded. */
export function verifyReleaseAnswer(value: string, instanceRootPem: string): ReleaseAnswer {
  const [encodedHeader, encodedPayload, signature] = value.split('.');
  assert.ok(encodedHeader && encodedPayload && signature, 'a compact JWS');
  const header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8')) as ReleaseAnswer['header'];
  assert.equal(header.alg, 'RS256');
  assert.ok(Array.isArray(header.x5c) && header.x5c.length >= 2, 'the x5c chain: signing certificate, root');
  const chain = header.x5c.map((der) => new X509Certificate(Buffer.from(der, 'base64')));
  const signing = chain[0] as X509Certificate;
  const root = chain[chain.length - 1] as X509Certificate;
  assert.equal(root.fingerprint256, new X509Certificate(instanceRootPem).fingerprint256, "the chain's root is this instance's attestation root");
  assert.ok(signing.verify(root.publicKey), 'the root issued the signing certificate');
  assert.ok(root.verify(root.publicKey), 'the root is self-signed');
  const verifier = createVerify('sha256');
  verifier.update(`${encodedHeader}.${encodedPayload}`);
  assert.ok(verifier.verify(signing.publicKey, Buffer.from(signature, 'base64url')), 'the JWS signature verifies with the signing certificate');
  return { header, payload: JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8')) as ReleaseAnswer['payload'] };
}

const OAEP_HASH: Record<string, string> = { CKM_RSA_AES_KEY_WRAP: 'sha1', RSA_AES_KEY_WRAP_256: 'sha256', RSA_AES_KEY_WRAP_384: 'sha384' };

export interface OpenedKeyHsm {
  blob: { schema_version: string; header: { kid: string; alg: string; enc: string }; ciphertext: string };
  /** PKCS#8 DER (RSA, EC) or the raw AES key (oct). */
  keyBytes: Buffer;
}

export function openKeyHsm(keyHsm: string, tee: Tee): OpenedKeyHsm {
  const blob = JSON.parse(Buffer.from(keyHsm, 'base64url').toString('utf8')) as OpenedKeyHsm['blob'];
  const oaepHash = OAEP_HASH[blob.header.enc];
  assert.ok(oaepHash !== undefined, `a known enc (${blob.header.enc})`);
  const ciphertext = Buffer.from(blob.ciphertext, 'base64url');
  const modulusBytes = (tee.privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  const aesKey = privateDecrypt({ key: tee.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, ciphertext.subarray(0, modulusBytes));
  const cipher = `id-aes${aesKey.length * 8}-wrap-pad`;
  const decipher = createDecipheriv(cipher, aesKey, Buffer.from('A65959A6', 'hex'));
  const keyBytes = Buffer.concat([decipher.update(ciphertext.subarray(modulusBytes)), decipher.final()]);
  return { blob, keyBytes };
}
