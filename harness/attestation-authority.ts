/**
 * A local attestation authority for tests of secure key release (`--attestation-authority`), shaped like
 * Microsoft Azure Attestation: HTTPS (a certificate from its own throw-away CA, which the server under test
 * trusts through NODE_EXTRA_CA_CERTS), an OpenID discovery document and a JWKS at `/certs`, and RS256 tokens
 * carrying MAA's claims for a confidential VM, the TEE's own RSA public key in `x-ms-runtime.keys`.
 *
 * `attest()` stands in for the whole attestation exchange (the TEE's evidence, the authority's appraisal): the
 * test says which TEE key and claims the token carries, and can make it expired, unsigned or forged.
 */
import { createHash, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, SignJWT, UnsecuredJWT, type JWK, type JWTPayload } from 'jose';
import { createCertificateAuthority, issueServerCertificate } from '../src/tls/certificates.ts';

export interface AttestOptions {
  /** The TEE's RSA public key, put in `x-ms-runtime.keys` (as MAA's `TpmEphemeralEncryptionKey`). */
  teeKey?: KeyObject;
  /** Its kid there; default `TpmEphemeralEncryptionKey`. */
  teeKid?: string;
  /** Replaces `x-ms-runtime.keys` altogether (a token without a usable key, say). */
  runtimeKeys?: unknown[];
  /** Claims added to (or replacing) the default confidential-VM claims. */
  claims?: JWTPayload;
  /** A jose time span; negative for an expired token. Default 5m. */
  expiresIn?: string;
  /** `nbf` in the future, e.g. '+10m'. */
  notBefore?: string;
  /** Another `iss` than this authority's. */
  issuer?: string;
  /** `forged`: signed by a key this authority does not publish; `none`: unsigned (alg none). */
  signature?: 'valid' | 'forged' | 'none';
}

export interface TestAttestationAuthority {
  /** The issuer URL (`iss`), `https://localhost:PORT`, as MAA's are bare origins. */
  issuer: string;
  /** A PEM file with the authority's CA, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  attest(options?: AttestOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startAttestationAuthority(): Promise<TestAttestationAuthority> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-maa-'));
  const ca = await createCertificateAuthority();
  const certificate = await issueServerCertificate(ca, ['localhost', '127.0.0.1']);
  const caFile = join(dir, 'attestation-ca.pem');
  writeFileSync(caFile, ca.certificatePem);
  const signing = rsaKey();
  const stranger = rsaKey();
  const kid = createHash('sha256').update(signing.publicKey.export({ format: 'der', type: 'spki' })).digest('base64url');
  let issuer = '';
  const server: Server = createServer({ cert: certificate.certificatePem, key: certificate.privateKeyPem }, (request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'https://localhost').pathname;
      if (path === '/.well-known/openid-configuration') {
        return json(response, {
          issuer,
          jwks_uri: `${issuer}/certs`,
          id_token_signing_alg_values_supported: ['RS256'],
          claims_supported: ['x-ms-ver', 'x-ms-attestation-type', 'x-ms-runtime', 'x-ms-isolation-tee', 'x-ms-compliance-status'],
        });
      }
      if (path === '/certs') return json(response, { keys: [{ ...(await exportJWK(signing.publicKey)), kid }] });
      response.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `https://localhost:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    caFile,
    async attest(options = {}) {
      const claims = { ...(await confidentialVmClaims(options)), ...options.claims };
      if (options.signature === 'none') {
        return new UnsecuredJWT(claims).setIssuer(options.issuer ?? issuer).setIssuedAt().setExpirationTime(options.expiresIn ?? '5m').encode();
      }
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid, jku: `${issuer}/certs` })
        .setIssuer(options.issuer ?? issuer)
        .setIssuedAt()
        .setJti(randomUUID())
        .setNotBefore(options.notBefore ?? '0s')
        .setExpirationTime(options.expiresIn ?? '5m');
      return jwt.sign(options.signature === 'forged' ? stranger.privateKey : signing.privateKey);
    },
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The claims MAA issues for an Azure confidential VM (SEV-SNP), trimmed to what policies usually test. */
async function confidentialVmClaims(options: AttestOptions): Promise<JWTPayload> {
  const keys: unknown[] = options.runtimeKeys
    ?? (options.teeKey === undefined ? [] : [{ ...(await exportJWK(options.teeKey)), kid: options.teeKid ?? 'TpmEphemeralEncryptionKey', key_ops: ['encrypt'] } satisfies JWK]);
  return {
    'x-ms-ver': '1.0',
    'x-ms-attestation-type': 'azurevm',
    'x-ms-policy-hash': createHash('sha256').update('default policy').digest('base64url'),
    'x-ms-isolation-tee': {
      'x-ms-attestation-type': 'sevsnpvm',
      'x-ms-compliance-status': 'azure-compliant-cvm',
      'x-ms-sevsnpvm-is-debuggable': false,
      'x-ms-sevsnpvm-guestsvn': 7,
    },
    'x-ms-runtime': { keys, 'client-payload': { nonce: 'test' } },
  };
}

function rsaKey() {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

function json(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
