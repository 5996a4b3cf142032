/**
 * The security domain file and upload blob (src/custody/security-domain-file.ts), with certificates made by
 * the real openssl command: quorum behaviour, every refusal of the download body, the upload round trip, and
 * that the file's shares are Shamir shares of the master key that opens the domain key.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { compactDecrypt } from 'jose';
import { combine } from 'shamir-secret-sharing';
import {
  createSecurityDomainFile,
  createUploadBlob,
  openUploadBlob,
  parseCertificateInfo,
  parseTransferKey,
  recoverDomainSecret,
  SecurityDomainFormatError,
  type CustodianCertificate,
  type DomainSecret,
} from '../../../src/custody/security-domain-file.ts';
import { custodianDirectory, type Custodian, type CustodianDirectory } from '../../../harness/custodians.ts';

let dir: CustodianDirectory;
let custodians: Custodian[];
let ecCustodian: Custodian;
let smallCustodian: Custodian;
let sameKeyCustodian: Custodian;
const domain: DomainSecret = { key: randomBytes(32), id: 'domain-7f3a' };

before(() => {
  dir = custodianDirectory();
  custodians = Array.from({ length: 10 }, (_, index) => dir.make(`custodian${index + 1}`));
  ecCustodian = dir.make('ec', { newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] });
  smallCustodian = dir.make('small', { newkey: ['-newkey', 'rsa:1024'] });
  sameKeyCustodian = dir.make('same-key', { sameKeyAs: custodians[0] });
});
after(() => dir.remove());

const jwks = (count: number) => custodians.slice(0, count).map((c) => c.jwk);
const keyOf = (c: Custodian) => ({ privateKey: c.privateKey, certificate: c.certificatePem });
const refused = (message: RegExp) => (error: unknown) => error instanceof SecurityDomainFormatError && message.test(error.message);

async function download(count: number, required: number): Promise<string> {
  const info = parseCertificateInfo({ certificates: jwks(count), required });
  return createSecurityDomainFile(domain, info.certificates, info.required);
}

describe('security domain file: quorum', () => {
  it('3 certificates, quorum 2: any two keys recover the domain, with or without their certificates', async () => {
    const file = await download(3, 2);
    for (const pair of [[0, 1], [0, 2], [2, 1]] as const) {
      const recovered = await recoverDomainSecret(file, pair.map((i) => keyOf(custodians[i] as Custodian)));
      assert.deepEqual(recovered, domain);
    }
    const untagged = await recoverDomainSecret(file, [{ privateKey: (custodians[2] as Custodian).privateKey }, { privateKey: (custodians[0] as Custodian).privateKey }]);
    assert.deepEqual(untagged, domain);
  });

  it('one key alone, a key of no custodian, the same key twice: refused with a clear message', async () => {
    const file = await download(3, 2);
    const [c1, c2] = custodians as [Custodian, Custodian];
    const stranger = custodians[5] as Custodian;
    await assert.rejects(recoverDomainSecret(file, [keyOf(c1)]), refused(/needs 2 custodian keys; 1 given/));
    await assert.rejects(recoverDomainSecret(file, [keyOf(c1), keyOf(stranger)]), refused(/Key 2: its certificate is not one of this security domain's custodians/));
    await assert.rejects(recoverDomainSecret(file, [keyOf(c1), { privateKey: stranger.privateKey }]), refused(/Key 2 opens no share/));
    await assert.rejects(recoverDomainSecret(file, [keyOf(c1), { privateKey: stranger.privateKey, certificate: c2.certificatePem }]), refused(/Key 2 opens no share/));
    await assert.rejects(recoverDomainSecret(file, [keyOf(c1), keyOf(c1)]), refused(/same share/));
  });

  it('10 certificates, quorum 10: all ten recover it, nine do not', async () => {
    const file = await download(10, 10);
    assert.deepEqual(await recoverDomainSecret(file, custodians.map(keyOf)), domain);
    await assert.rejects(recoverDomainSecret(file, custodians.slice(1).map(keyOf)), refused(/needs 10 custodian keys; 9 given/));
  });

  it('a file whose quorum was lowered does not open with fewer shares', async () => {
    const file = JSON.parse(await download(4, 3)) as { SharedKeys: { required: number } };
    file.SharedKeys.required = 2;
    await assert.rejects(recoverDomainSecret(JSON.stringify(file), custodians.slice(0, 2).map(keyOf)), refused(/do not recombine/));
  });

  it('corrupt files are refused', async () => {
    const file = await download(3, 2);
    const two = custodians.slice(0, 2).map(keyOf);
    await assert.rejects(recoverDomainSecret('not json', two), refused(/corrupt/));
    await assert.rejects(recoverDomainSecret('{"EncData":{}}', two), refused(/not a Strongroom security domain file/));
    const parsed = JSON.parse(file) as { EncData: { data: { compact_jwe: string }[] }; domain_id: string };
    const datum = parsed.EncData.data[0] as { compact_jwe: string };
    const parts = datum.compact_jwe.split('.');
    parts[3] = Buffer.from('x'.repeat(32)).toString('base64url');
    datum.compact_jwe = parts.join('.');
    await assert.rejects(recoverDomainSecret(JSON.stringify(parsed), two), refused(/do not recombine/));
    const renamed = { ...(JSON.parse(file) as object), domain_id: 'another-domain' };
    await assert.rejects(recoverDomainSecret(JSON.stringify(renamed), two), refused(/do not recombine/));
  });

  it('two downloads of the same domain: different master keys and shares, the same domain recovered', async () => {
    const [a, b] = [await download(3, 2), await download(3, 2)];
    const masters = await Promise.all([a, b].map((file) => masterKeyOf(file, custodians.slice(0, 2))));
    assert.notDeepEqual(masters[0], masters[1]);
    assert.deepEqual(await recoverDomainSecret(a, custodians.slice(1, 3).map(keyOf)), await recoverDomainSecret(b, custodians.slice(1, 3).map(keyOf)));
  });

  it('the shares are Shamir shares of the master key that opens EncData, with the threshold of the file', async () => {
    const file = await download(5, 3);
    const document = JSON.parse(file) as { SharedKeys: { enc_shares: { x5t_256: string }[]; required: number }; EncData: { kdf: string } };
    assert.equal(document.SharedKeys.required, 3);
    assert.equal(document.EncData.kdf, 'hkdf-sha256');
    assert.deepEqual(document.SharedKeys.enc_shares.map((s) => s.x5t_256), jwks(5).map((j) => j['x5t#S256']));
    const fromThree = await masterKeyOf(file, custodians.slice(0, 3));
    assert.deepEqual(await masterKeyOf(file, custodians.slice(2, 5)), fromThree);
    assert.deepEqual(await openEncData(file, fromThree), domain.key);
    const fromTwo = await masterKeyOf(file, custodians.slice(0, 2));
    assert.notDeepEqual(fromTwo, fromThree);
    await assert.rejects(openEncData(file, fromTwo));
  });
});

describe('security domain file: parseCertificateInfo', () => {
  it('accepts 3..10 RSA certificates and a quorum (default 2)', () => {
    const info = parseCertificateInfo({ certificates: jwks(3) });
    assert.equal(info.required, 2);
    assert.deepEqual(info.certificates.map((c) => [c.kid, c.x5tS256]), jwks(3).map((j) => [j['kid'], j['x5t#S256']]));
    assert.equal(parseCertificateInfo({ certificates: jwks(10), required: 10 }).certificates.length, 10);
    const noThumbprint = jwks(3).map((j) => ({ ...j, 'x5t#S256': undefined, kid: undefined }));
    assert.equal(parseCertificateInfo({ certificates: noThumbprint }).certificates[0]?.kid, jwks(1)[0]?.['x5t#S256']);
  });

  const cases: [string, () => unknown, RegExp][] = [
    ['not an object', () => 'certificates', /JSON object/],
    ['2 certificates', () => ({ certificates: jwks(2) }), /3 to 10 certificates/],
    ['11 certificates', () => ({ certificates: [...jwks(10), custodians[0]?.jwk] }), /3 to 10 certificates/],
    ['required 1', () => ({ certificates: jwks(3), required: 1 }), /required must be a whole number from 2 to 10/],
    ['required 2.5', () => ({ certificates: jwks(3), required: 2.5 }), /required must be a whole number/],
    ['required "2"', () => ({ certificates: jwks(3), required: '2' }), /required must be a whole number/],
    ['required > n', () => ({ certificates: jwks(3), required: 4 }), /cannot exceed the number of certificates \(3\)/],
    ['kty EC', () => ({ certificates: [...jwks(2), { ...ecCustodian.jwk, kty: 'EC' }] }), /certificates\[2\]: kty must be RSA/],
    ['an EC certificate', () => ({ certificates: [...jwks(2), { ...custodians[2]?.jwk, x5c: ecCustodian.jwk['x5c'] }] }), /certificates\[2\]: the certificate's key is not an RSA key/],
    ['RSA-1024', () => ({ certificates: [...jwks(2), smallCustodian.jwk] }), /at least 2048 bits/],
    ['n of another certificate', () => ({ certificates: [...jwks(2), { ...custodians[2]?.jwk, n: custodians[3]?.jwk['n'] }] }), /certificates\[2\]: n and e do not match/],
    ['no n', () => ({ certificates: [...jwks(2), { ...custodians[2]?.jwk, n: undefined }] }), /n and e are required/],
    ['garbage x5c', () => ({ certificates: [...jwks(2), { ...custodians[2]?.jwk, x5c: ['bm90IGEgY2VydGlmaWNhdGU='] }] }), /x5c\[0\] is not a base64 DER X.509 certificate/],
    ['x5c not base64', () => ({ certificates: [...jwks(2), { ...custodians[2]?.jwk, x5c: ['***'] }] }), /x5c\[0\] is not a base64 DER/],
    ['no x5c', () => ({ certificates: [...jwks(2), { ...custodians[2]?.jwk, x5c: [] }] }), /x5c \(the certificate chain\) is required/],
    ['wrong x5t#S256', () => ({ certificates: [...jwks(2), { ...custodians[2]?.jwk, 'x5t#S256': custodians[3]?.jwk['x5t#S256'] }] }), /x5t#S256 is not the SHA-256 thumbprint/],
    ['alg RSA1_5', () => ({ certificates: [...jwks(2), { ...custodians[2]?.jwk, alg: 'RSA1_5' }] }), /alg must be RSA-OAEP-256/],
    ['a duplicate certificate', () => ({ certificates: [...jwks(3), custodians[1]?.jwk] }), /certificates\[3\] duplicates another/],
    ['another certificate of the same key', () => ({ certificates: [...jwks(3), sameKeyCustodian.jwk] }), /certificates\[3\] duplicates another certificate or its key/],
  ];
  for (const [name, body, message] of cases) {
    it(`refuses ${name}`, () => assert.throws(() => parseCertificateInfo(body()), refused(message)));
  }
});

describe('security domain file: upload blob', () => {
  let transfer: { certificate: CustodianCertificate; privateKey: Custodian['privateKey'] };
  before(() => {
    const t = dir.make('transfer');
    transfer = { certificate: parseTransferKey({ ...t.jwk, 'x5t#S256': undefined }), privateKey: t.privateKey };
  });
  const server = () => ({ privateKey: transfer.privateKey, x5tS256: transfer.certificate.x5tS256 });

  it('round trip: recover from the file, re-wrap to the transfer key, open on the server', async () => {
    const recovered = await recoverDomainSecret(await download(3, 2), custodians.slice(0, 2).map(keyOf));
    const blob = await createUploadBlob(recovered, transfer.certificate);
    assert.deepEqual(await openUploadBlob(blob, server()), domain);
    assert.ok(!blob.includes(domain.key.toString('base64url')));
  });

  it('a blob for another transfer key is refused and says so', async () => {
    const other = parseTransferKey((custodians[0] as Custodian).jwk);
    const blob = await createUploadBlob(domain, other);
    await assert.rejects(openUploadBlob(blob, server()), refused(/made for another transfer key/));
    // Relabelled for this transfer key, it still does not open.
    const relabelled = JSON.parse(blob) as { WrappedKey: { x5t_256: string } };
    relabelled.WrappedKey.x5t_256 = transfer.certificate.x5tS256;
    await assert.rejects(openUploadBlob(JSON.stringify(relabelled), server()), refused(/corrupt or was tampered with/));
  });

  it('tampered or malformed blobs are refused', async () => {
    const blob = JSON.parse(await createUploadBlob(domain, transfer.certificate)) as { EncData: { data: { compact_jwe: string }[] }; domain_id: string };
    const renamed = { ...blob, domain_id: 'another' };
    await assert.rejects(openUploadBlob(JSON.stringify(renamed), server()), refused(/tampered/));
    const datum = blob.EncData.data[0] as { compact_jwe: string };
    const parts = datum.compact_jwe.split('.');
    const tag = Buffer.from(parts[4] ?? '', 'base64url');
    tag[0] = (tag[0] ?? 0) ^ 1;
    parts[4] = tag.toString('base64url');
    datum.compact_jwe = parts.join('.');
    await assert.rejects(openUploadBlob(JSON.stringify(blob), server()), refused(/tampered/));
    await assert.rejects(openUploadBlob('{}', server()), refused(/not a Strongroom upload blob/));
    await assert.rejects(openUploadBlob('][', server()), refused(/not a Strongroom upload blob/));
  });

  it('parseTransferKey validates like a certificate and computes x5t#S256', () => {
    assert.equal(transfer.certificate.x5tS256.length, 43);
    assert.throws(() => parseTransferKey({ kty: 'RSA' }), refused(/transfer_key: n and e are required/));
    assert.throws(() => parseTransferKey(ecCustodian.jwk), refused(/transfer_key: kty must be RSA/));
  });

  it('a non-RSA private key is refused on the custodian side', async () => {
    const file = await download(3, 2);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await assert.rejects(recoverDomainSecret(file, [keyOf(custodians[0] as Custodian), { privateKey }]), refused(/Key 2 is not an RSA private key/));
  });
});

/** Opens `custodians`' shares with jose and recombines them with the library, outside the module under test. */
async function masterKeyOf(file: string, holders: Custodian[]): Promise<Buffer> {
  const { SharedKeys } = JSON.parse(file) as { SharedKeys: { enc_shares: { enc_key: string; x5t_256: string }[] } };
  const shares = await Promise.all(holders.map(async (holder) => {
    const entry = SharedKeys.enc_shares.find((s) => s.x5t_256 === holder.jwk['x5t#S256']);
    return (await compactDecrypt(entry?.enc_key ?? '', holder.privateKey)).plaintext;
  }));
  return Buffer.from(await combine(shares));
}

async function openEncData(file: string, master: Buffer): Promise<Buffer> {
  const { EncData } = JSON.parse(file) as { EncData: { data: { compact_jwe: string; tag: string }[] } };
  const datum = EncData.data[0] as { compact_jwe: string; tag: string };
  const key = new Uint8Array(hkdfSync('sha256', master, Buffer.alloc(0), datum.tag, 32));
  return Buffer.from((await compactDecrypt(datum.compact_jwe, key)).plaintext);
}
