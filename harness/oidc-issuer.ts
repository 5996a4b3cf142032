/**
 * A local OpenID Connect issuer for tests of `--trust-issuer`: HTTPS (a certificate from its own throw-away CA,
 * which the server under test is told to trust through NODE_EXTRA_CA_CERTS), a discovery document and a JWKS,
 * and tokens it signs itself. `rotate()` replaces its signing key (a new kid), as an IdP's key rollover does.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { createCertificateAuthority, issueServerCertificate } from '../src/tls/certificates.ts';

export interface TestIssuer {
  /** The issuer URL (`iss`), `https://localhost:PORT/realms/test`. */
  issuer: string;
  /** A PEM file with the issuer's CA, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  sign(claims: JWTPayload, options?: { expiresIn?: string; issuer?: string; key?: 'current' | 'retired' }): Promise<string>;
  rotate(): void;
  close(): Promise<void>;
}

export async function startOidcIssuer(): Promise<TestIssuer> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-idp-'));
  const ca = await createCertificateAuthority();
  const certificate = await issueServerCertificate(ca, ['localhost', '127.0.0.1']);
  const caFile = join(dir, 'idp-ca.pem');
  writeFileSync(caFile, ca.certificatePem);
  let generation = 1;
  let current = newKey(generation);
  let retired: { kid: string; privateKey: KeyObject; publicKey: KeyObject } | undefined;
  let issuer = '';
  const server: Server = createServer({ cert: certificate.certificatePem, key: certificate.privateKeyPem }, (request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'https://localhost').pathname;
      if (path === '/realms/test/.well-known/openid-configuration') {
        return json(response, { issuer, jwks_uri: `${issuer}/keys`, id_token_signing_alg_values_supported: ['RS256'] });
      }
      if (path === '/realms/test/keys') {
        const keys = [current, ...(retired === undefined ? [] : [retired])];
        return json(response, { keys: await Promise.all(keys.map(async (key) => ({ ...(await exportJWK(key.publicKey)), kid: key.kid, alg: 'RS256', use: 'sig' }))) });
      }
      response.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `https://localhost:${(server.address() as AddressInfo).port}/realms/test`;
  return {
    issuer,
    caFile,
    async sign(claims, options = {}) {
      const key = options.key === 'retired' && retired !== undefined ? retired : current;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
        .setIssuer(options.issuer ?? issuer)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(key.privateKey);
    },
    rotate() {
      generation += 1;
      retired = undefined;
      current = newKey(generation);
    },
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function newKey(generation: number) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: `test-key-${generation}`, privateKey, publicKey };
}

function json(response: import('node:http').ServerResponse, body: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
