/**
 * Independent verifiers accept what cert-tool makes, for every key type: OpenSSL's
 * parser and chain verifier, Node's X509Certificate, and a Node TLS 1.3 handshake
 * that trusts the CA (or the self-signed certificate) and checks the name.
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { certificatesToPem, createCa, generateKeyPair, generateSelfSigned, inspectCertificate, issueCertificate, type IssuedCertificate, type KeyType, privateKeyToPem, spkiSha256 } from '../src/index.js';
import { HAVE_OPENSSL, openssl, tempDir, tlsHandshake } from './helpers.js';

const TYPES: { type: KeyType; sig: string; opensslKey: RegExp }[] = [
  { type: 'p256', sig: 'ecdsa-with-SHA256', opensslKey: /NIST CURVE: P-256/ },
  { type: 'p384', sig: 'ecdsa-with-SHA384', opensslKey: /NIST CURVE: P-384/ },
  { type: 'ed25519', sig: 'ED25519', opensslKey: /ED25519 Public-Key/ },
  { type: 'rsa2048', sig: 'sha256WithRSAEncryption', opensslKey: /Public-Key: \(2048 bit\)/ },
];

const SANS = ['localhost', '127.0.0.1', '::1'];

describe.each(TYPES)('$type', ({ type, sig, opensslKey }) => {
  let selfSigned: IssuedCertificate;
  let ca: IssuedCertificate;
  let leaf: IssuedCertificate;
  let client: IssuedCertificate;
  let otherCa: IssuedCertificate;
  let otherLeaf: IssuedCertificate;
  const tmp = tempDir();
  const pem = (c: IssuedCertificate): string => certificatesToPem(c.chain);
  const key = (c: IssuedCertificate): string => privateKeyToPem(c.privateKey);

  beforeAll(async () => {
    // Key generation (RSA especially) is the slow part: three keys per type, reused across certificates.
    const [k1, k2, k3] = await Promise.all([generateKeyPair(type), generateKeyPair(type), generateKeyPair(type)]);
    selfSigned = await generateSelfSigned({ key: k1, sans: SANS });
    ca = await createCa({ key: k2, commonName: 'Interop Test CA' });
    leaf = await issueCertificate(ca, { key: k1, sans: SANS });
    client = await issueCertificate(ca, { key: k1, sans: ['client.test'], purpose: 'client' });
    // Same CA name, different key: verification must rest on signatures, not names.
    otherCa = await createCa({ key: k3, commonName: 'Interop Test CA' });
    otherLeaf = await issueCertificate(otherCa, { key: k1, sans: SANS });
  }, 30_000);
  afterAll(() => tmp.cleanup());

  it.runIf(HAVE_OPENSSL)('openssl x509 -text parses the leaf and shows its SANs, key and signature algorithm', () => {
    const r = openssl(['x509', '-noout', '-text', '-in', tmp.file(`leaf.pem`, certificatesToPem(leaf.certificate))]);
    expect(r.status).toBe(0);
    expect(r.out).toContain('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(r.out).toContain(`Signature Algorithm: ${sig}`);
    expect(r.out).toMatch(opensslKey);
    expect(r.out).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(r.out).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(r.out).toMatch(/Authority Key Identifier:/);
  });

  it.runIf(HAVE_OPENSSL)('openssl x509 -text shows the CA as CA:TRUE with keyCertSign and cRLSign', () => {
    const r = openssl(['x509', '-noout', '-text', '-in', tmp.file('ca.pem', pem(ca))]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(r.out).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(r.out).toMatch(/Subject Key Identifier:/);
  });

  it.runIf(HAVE_OPENSSL)('openssl verify: the leaf verifies against its CA, not against another CA of the same name', () => {
    const caFile = tmp.file('ca.pem', pem(ca));
    const ok = openssl(['verify', '-purpose', 'sslserver', '-CAfile', caFile, tmp.file('leaf.pem', pem(leaf))]);
    expect(ok.out).toContain(': OK');
    expect(ok.status).toBe(0);
    const bad = openssl(['verify', '-CAfile', caFile, tmp.file('other-leaf.pem', pem(otherLeaf))]);
    expect(bad.status).not.toBe(0);
    expect(bad.out).toMatch(/error|fail/i);
    const client1 = openssl(['verify', '-purpose', 'sslclient', '-CAfile', caFile, tmp.file('client.pem', pem(client))]);
    expect(client1.status).toBe(0);
    const wrongPurpose = openssl(['verify', '-purpose', 'sslserver', '-CAfile', caFile, tmp.file('client.pem', pem(client))]);
    expect(wrongPurpose.status).not.toBe(0);
  });

  it.runIf(HAVE_OPENSSL)('openssl verify: the self-signed certificate is its own trust anchor; openssl accepts the PKCS#8 key and pairs it', () => {
    const f = tmp.file('self.pem', pem(selfSigned));
    expect(openssl(['verify', '-CAfile', f, f]).status).toBe(0);
    const keyFile = tmp.file('self-key.pem', key(selfSigned));
    expect(openssl(['pkey', '-in', keyFile, '-noout', '-check']).status).toBe(0);
    const fromKey = openssl(['pkey', '-in', keyFile, '-pubout']).out;
    const fromCert = openssl(['x509', '-in', f, '-noout', '-pubkey']).out;
    expect(fromKey).toBe(fromCert);
  });

  it("Node's X509Certificate: names, IPs, issuer signature, private key, CA flag, fingerprints", () => {
    const x = new X509Certificate(leaf.certificate);
    const issuer = new X509Certificate(ca.certificate);
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkHost('example.org')).toBeUndefined();
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkIP('::1')).toBe('::1');
    expect(x.checkIP('10.0.0.1')).toBeUndefined();
    expect(x.verify(issuer.publicKey)).toBe(true);
    expect(x.verify(new X509Certificate(otherCa.certificate).publicKey)).toBe(false);
    expect(x.checkIssued(issuer)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey({ key: Buffer.from(leaf.privateKey), format: 'der', type: 'pkcs8' }))).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey({ key: Buffer.from(ca.privateKey), format: 'der', type: 'pkcs8' }))).toBe(false);
    expect(issuer.ca).toBe(true);
    expect(x.ca).toBe(false);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const info = inspectCertificate(leaf.certificate);
    expect(x.serialNumber.toLowerCase()).toBe(info.serialNumber);
    expect(x.fingerprint256.replace(/:/g, '').toLowerCase()).toBe(info.sha256);
    const spki = x.publicKey.export({ type: 'spki', format: 'der' });
    expect(createHash('sha256').update(spki).digest('base64')).toBe(spkiSha256(leaf.certificate));
    expect(x.validFrom).toBe(new X509Certificate(leaf.certificate).validFrom);
    expect(new Date(x.validTo).getTime()).toBe(info.notAfter.getTime());
    const self = new X509Certificate(selfSigned.certificate);
    expect(self.verify(self.publicKey)).toBe(true);
    // (X509_check_issued would say no: a self-signed *leaf* lacks keyCertSign, as RFC 5280 §4.2.1.3 requires
    // without cA. Chain verification still accepts it as a trust anchor, as the openssl and TLS tests show.)
  });

  it('TLS 1.3 on 127.0.0.1 trusting the CA: succeeds for localhost, fails for a wrong name and for another CA', async () => {
    const server = { key: key(leaf), cert: pem(leaf) };
    const good = await tlsHandshake(server, { ca: pem(ca), servername: 'localhost' });
    expect(good).toMatchObject({ ok: true, protocol: 'TLSv1.3', authorized: true, peerSubjectCN: 'localhost' });
    const wrongName = await tlsHandshake(server, { ca: pem(ca), servername: 'wrong.example' });
    expect(wrongName).toMatchObject({ ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const wrongCa = await tlsHandshake(server, { ca: pem(otherCa), servername: 'localhost' });
    expect(wrongCa.ok).toBe(false);
    expect((wrongCa as { code: string }).code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_SIGNATURE_FAILURE/);
  });

  it('TLS 1.3 by IP address: 127.0.0.1 and ::1 match the iPAddress SANs', async () => {
    const server = { key: key(leaf), cert: pem(leaf) };
    expect(await tlsHandshake(server, { ca: pem(ca) }, '127.0.0.1')).toMatchObject({ ok: true, authorized: true });
    expect(await tlsHandshake(server, { ca: pem(ca) }, '::1')).toMatchObject({ ok: true, authorized: true });
  });

  it('TLS 1.3 trusting only the self-signed certificate (trust on first use); a wrong name fails', async () => {
    const server = { key: key(selfSigned), cert: pem(selfSigned) };
    expect(await tlsHandshake(server, { ca: pem(selfSigned), servername: 'localhost' })).toMatchObject({ ok: true, protocol: 'TLSv1.3', authorized: true });
    expect(await tlsHandshake(server, { ca: pem(selfSigned), servername: 'other.test' })).toMatchObject({ ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(await tlsHandshake(server, { ca: pem(ca), servername: 'localhost' })).toMatchObject({ ok: false });
  });

  it('TLS 1.3 client authentication with a clientAuth certificate from the CA', async () => {
    const server = { key: key(leaf), cert: pem(leaf), ca: pem(ca), requestCert: true, rejectUnauthorized: true };
    const r = await tlsHandshake(server, { ca: pem(ca), servername: 'localhost', key: key(client), cert: pem(client) });
    expect(r).toMatchObject({ ok: true, authorized: true });
  });
});

describe('root → intermediate → leaf', () => {
  it("Node's X509Certificate verifies each link", async () => {
    const root = await createCa({ commonName: 'Test Root', pathLength: 1 });
    const intermediate = await createCa({ commonName: 'Test Intermediate', keyType: 'p384', issuer: root, pathLength: 0 });
    const leaf = await issueCertificate(intermediate, { sans: ['chain.test', '127.0.0.1'], keyType: 'ed25519' });
    const [r, i, l] = [root, intermediate, leaf].map((c) => new X509Certificate(c.certificate));
    expect(i!.verify(r!.publicKey)).toBe(true);
    expect(l!.verify(i!.publicKey)).toBe(true);
    expect(l!.verify(r!.publicKey)).toBe(false);
    expect(l!.checkIssued(i!)).toBe(true);
  });
});
