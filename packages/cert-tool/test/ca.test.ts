/**
 * The tiny CA: root → intermediate → leaf chains verified by OpenSSL and Node TLS (Node's
 * X509Certificate checks each link in interop.test.ts),
 * key identifiers, path length, and refusals (NOT_CA, KEY_MISMATCH). Also issuing
 * from a CA that OpenSSL made.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificatesToPem, createCa, generateSelfSigned, inspectCertificate, issueCertificate, type IssuedCertificate, privateKeyToPem } from '../src/index.js';
import { codeOf, HAVE_OPENSSL, openssl, tempDir, tlsHandshake } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('root → intermediate → leaf', () => {
  let root: IssuedCertificate;
  let intermediate: IssuedCertificate;
  let leaf: IssuedCertificate;
  beforeAll(async () => {
    root = await createCa({ commonName: 'Test Root', pathLength: 1 });
    intermediate = await createCa({ commonName: 'Test Intermediate', keyType: 'p384', issuer: root, pathLength: 0 });
    leaf = await issueCertificate(intermediate, { sans: ['chain.test', '127.0.0.1'], keyType: 'ed25519' });
  });

  it('chains: a root is its own chain; issued chains stop below the root', () => {
    expect(root.chain).toEqual([root.certificate]);
    expect(intermediate.chain).toEqual([intermediate.certificate]);
    expect(leaf.chain).toEqual([leaf.certificate, intermediate.certificate]);
  });

  it('key identifiers link each certificate to its issuer (RFC 5280 §4.2.1.1, §4.2.1.2)', () => {
    const [r, i, l] = [root, intermediate, leaf].map((c) => inspectCertificate(c.certificate));
    expect(r!.authorityKeyIdentifier).toBeUndefined();
    expect(i!.authorityKeyIdentifier).toBe(r!.subjectKeyIdentifier);
    expect(l!.authorityKeyIdentifier).toBe(i!.subjectKeyIdentifier);
    expect(i).toMatchObject({ isCa: true, pathLength: 0, keyUsage: ['keyCertSign', 'cRLSign'], issuer: 'CN=Test Root', subject: 'CN=Test Intermediate', selfIssued: false });
    expect(r).toMatchObject({ isCa: true, pathLength: 1, selfIssued: true, extendedKeyUsage: [] });
    expect(l).toMatchObject({ issuer: 'CN=Test Intermediate', subject: 'CN=chain.test', isCa: false, keyType: 'ed25519', signatureAlgorithm: 'ecdsa-with-SHA384' });
  });

  it.runIf(HAVE_OPENSSL)('openssl verify with the intermediate as untrusted; fails without it', () => {
    const rootFile = tmp.file('root.pem', certificatesToPem(root.certificate));
    const intFile = tmp.file('int.pem', certificatesToPem(intermediate.certificate));
    const leafFile = tmp.file('leaf.pem', certificatesToPem(leaf.certificate));
    expect(openssl(['verify', '-CAfile', rootFile, '-untrusted', intFile, leafFile])).toMatchObject({ status: 0 });
    expect(openssl(['verify', '-CAfile', rootFile, leafFile]).status).not.toBe(0);
    expect(openssl(['verify', '-CAfile', rootFile, intFile]).status).toBe(0);
  });

  it('Node TLS 1.3: the server sends leaf + intermediate, the client trusts only the root', async () => {
    const server = { key: privateKeyToPem(leaf.privateKey), cert: certificatesToPem(leaf.chain) };
    expect(await tlsHandshake(server, { ca: certificatesToPem(root.certificate), servername: 'chain.test' })).toMatchObject({ ok: true, authorized: true });
    const noIntermediate = { ...server, cert: certificatesToPem(leaf.certificate) };
    expect(await tlsHandshake(noIntermediate, { ca: certificatesToPem(root.certificate), servername: 'chain.test' })).toMatchObject({ ok: false });
  });

  it('pathLenConstraint 0 forbids another intermediate below: NOT_CA', async () => {
    expect(await codeOf(createCa({ issuer: intermediate }))).toBe('NOT_CA');
  });
});

describe('refusals', () => {
  let ca: IssuedCertificate;
  let other: IssuedCertificate;
  beforeAll(async () => {
    ca = await createCa();
    other = await createCa();
  });

  it('a leaf (CA:FALSE) cannot issue: NOT_CA', async () => {
    const leaf = await issueCertificate(ca);
    expect(await codeOf(issueCertificate(leaf))).toBe('NOT_CA');
    expect(await codeOf(issueCertificate(await generateSelfSigned()))).toBe('NOT_CA');
  });

  it("another CA's key: KEY_MISMATCH", async () => {
    expect(await codeOf(issueCertificate({ certificate: ca.certificate, privateKey: other.privateKey }))).toBe('KEY_MISMATCH');
  });

  it('malformed CA inputs: MALFORMED_DER', async () => {
    expect(await codeOf(issueCertificate({ certificate: ca.certificate.subarray(0, 50), privateKey: ca.privateKey }))).toBe('MALFORMED_DER');
    expect(await codeOf(issueCertificate({ certificate: ca.certificate, privateKey: ca.privateKey.subarray(1) }))).toBe('MALFORMED_DER');
  });

  it('caller mistakes are TypeError / RangeError', async () => {
    await expect(issueCertificate(null as never)).rejects.toThrow(TypeError);
    await expect(createCa({ pathLength: -1 })).rejects.toThrow(RangeError);
    await expect(createCa({ pathLength: 1.5 })).rejects.toThrow(RangeError);
  });

  it('default CA names differ per key (so two development CAs never share a name)', () => {
    expect(inspectCertificate(ca.certificate).subject).toMatch(/^CN=cert-tool CA [0-9a-f]{8}$/);
    expect(inspectCertificate(ca.certificate).subject).not.toBe(inspectCertificate(other.certificate).subject);
  });

  it('a CA is valid for 3650 days by default', () => {
    const info = inspectCertificate(ca.certificate);
    expect(Math.round((info.notAfter.getTime() - info.notBefore.getTime()) / 86_400_000)).toBe(3650);
  });
});

describe.runIf(HAVE_OPENSSL)('issuing from a CA that OpenSSL made', () => {
  it('the leaf verifies with openssl and carries the CA key id as its AKI', async () => {
    const caKey = tmp.file('ossl-ca-key.pem');
    const caCert = tmp.file('ossl-ca.pem');
    const r = openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      caKey,
      '-out',
      caCert,
      '-days',
      '5',
      '-subj',
      '/O=OpenSSL Made/CN=OSSL CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    expect(r.status).toBe(0);
    const leaf = await issueCertificate({ certificate: readFileSync(caCert, 'utf8'), privateKey: readFileSync(caKey, 'utf8') }, { sans: ['o.test'] });
    expect(leaf.chain).toEqual([leaf.certificate]);
    const leafFile = tmp.file('ossl-leaf.pem', certificatesToPem(leaf.certificate));
    expect(openssl(['verify', '-CAfile', caCert, leafFile])).toMatchObject({ status: 0 });
    const info = inspectCertificate(leaf.certificate);
    expect(info.issuer).toBe('CN=OSSL CA,O=OpenSSL Made');
    expect(info.signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(info.authorityKeyIdentifier).toBe(inspectCertificate(readFileSync(caCert, 'utf8')).subjectKeyIdentifier);
  });
});
