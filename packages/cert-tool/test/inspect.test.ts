/**
 * inspectCertificate, fingerprints and key reading against an independent producer (OpenSSL):
 * its certificates, PKCS#8 keys and legacy SEC1/PKCS#1 keys.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertToolError, certificateSha256, generateSelfSigned, inspectCertificate, publicKeyOf, publicKeyToPem, readCertificate, readPrivateKey, spkiSha256 } from '../src/index.js';
import { HAVE_OPENSSL, openssl, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Base64 SHA-256 of the SPKI, computed from OpenSSL's own -pubkey output. */
function opensslSpkiPin(pubkeyPem: string): string {
  const der = createPublicKey(pubkeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

describe.runIf(HAVE_OPENSSL)('certificates made by openssl req -x509', () => {
  let certPem: string;
  let keyPem: string;
  let text: string;
  beforeAll(() => {
    const key = tmp.file('o-key.pem');
    const cert = tmp.file('o-cert.pem');
    const r = openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-384',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '30',
      '-subj',
      '/C=DE/O=Example, Inc./CN=openssl.test',
      '-set_serial',
      '0x01020304',
      '-addext',
      'subjectAltName=DNS:openssl.test,DNS:*.openssl.test,IP:10.1.2.3,IP:2001:db8::1',
      '-addext',
      'keyUsage=critical,digitalSignature',
      '-addext',
      'extendedKeyUsage=serverAuth,clientAuth',
    ]);
    expect(r.status).toBe(0);
    certPem = readFileSync(cert, 'utf8');
    keyPem = readFileSync(key, 'utf8');
    text = openssl(['x509', '-in', cert, '-noout', '-text']).out;
  });

  it('reads subject, issuer (RFC 4514), serial, SANs, usages, key type', () => {
    const info = inspectCertificate(certPem);
    expect(info.subject).toBe('CN=openssl.test,O=Example\\, Inc.,C=DE');
    expect(info.issuer).toBe(info.subject);
    expect(info.serialNumber).toBe('01020304');
    expect(info.dnsNames).toEqual(['openssl.test', '*.openssl.test']);
    expect(info.ipAddresses).toEqual(['10.1.2.3', '2001:db8::1']);
    expect(info.keyUsage).toEqual(['digitalSignature']);
    expect(info.extendedKeyUsage).toEqual(['serverAuth', 'clientAuth']);
    expect(info.keyType).toBe('p384');
    expect(info.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(info.selfIssued).toBe(true);
    // OpenSSL's req -x509 marks its certificates CA:TRUE by default and adds key identifiers.
    expect(info.isCa).toBe(/CA:TRUE/.test(text));
    expect(info.subjectKeyIdentifier?.toUpperCase()).toBe(/Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(text)?.[1]?.replace(/:/g, ''));
  });

  it('validity matches openssl -dates', () => {
    const info = inspectCertificate(certPem);
    const dates = openssl(['x509', '-in', tmp.file('o-cert.pem'), '-noout', '-dates']).out;
    expect(info.notBefore.getTime()).toBe(new Date(/notBefore=(.*)/.exec(dates)![1]!).getTime());
    expect(info.notAfter.getTime()).toBe(new Date(/notAfter=(.*)/.exec(dates)![1]!).getTime());
  });

  it('fingerprints match OpenSSL: SPKI SHA-256 of the certificate and of the key, certificate SHA-256', () => {
    const pin = opensslSpkiPin(openssl(['x509', '-in', tmp.file('o-cert.pem'), '-noout', '-pubkey']).out);
    expect(spkiSha256(certPem)).toBe(pin);
    expect(spkiSha256(keyPem)).toBe(pin);
    expect(spkiSha256(readCertificate(certPem))).toBe(pin);
    expect(Buffer.from(spkiSha256(certPem, 'hex'), 'hex').toString('base64')).toBe(pin);
    const fp = /Fingerprint=(.*)/.exec(openssl(['x509', '-in', tmp.file('o-cert.pem'), '-noout', '-fingerprint', '-sha256']).out)![1]!;
    expect(certificateSha256(certPem)).toBe(fp.replace(/:/g, '').toLowerCase());
  });

  it('the OpenSSL PKCS#8 key reads back and derives the certificate public key', () => {
    const k = readPrivateKey(keyPem);
    expect(k.type).toBe('p384');
    expect(Buffer.from(k.publicKey).equals(Buffer.from(publicKeyOf(certPem)))).toBe(true);
    expect(spkiSha256(publicKeyToPem(k.publicKey))).toBe(spkiSha256(certPem));
  });
});

describe.runIf(HAVE_OPENSSL)('keys from OpenSSL in every encoding', () => {
  it.each([
    ['EC P-256 PKCS#8', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'p256'],
    ['EC P-384 PKCS#8', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], 'p384'],
    ['Ed25519 PKCS#8', ['genpkey', '-algorithm', 'ED25519'], 'ed25519'],
    ['RSA-2048 PKCS#8', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'rsa2048'],
  ])('%s, and its traditional (SEC1/PKCS#1) form for EC/RSA', (_n, args, type) => {
    const pkcs8File = tmp.file(`k-${type}.pem`);
    expect(openssl([...args, '-out', pkcs8File]).status).toBe(0);
    const pkcs8 = readFileSync(pkcs8File, 'utf8');
    const pin = opensslSpkiPin(openssl(['pkey', '-in', pkcs8File, '-pubout']).out);
    const k = readPrivateKey(pkcs8);
    expect(k.type).toBe(type);
    expect(spkiSha256(k.publicKey)).toBe(pin);
    const derFile = tmp.file(`k-${type}.der`);
    openssl(['pkcs8', '-topk8', '-nocrypt', '-in', pkcs8File, '-outform', 'DER', '-out', derFile]);
    expect(spkiSha256(new Uint8Array(readFileSync(derFile)))).toBe(pin);
    expect(readPrivateKey(new Uint8Array(readFileSync(derFile))).type).toBe(type);
    // `openssl pkey -outform DER` writes the traditional form for EC and RSA keys.
    const tradDer = tmp.file(`k-${type}-trad.der`);
    openssl(['pkey', '-in', pkcs8File, '-outform', 'DER', '-out', tradDer]);
    expect(spkiSha256(new Uint8Array(readFileSync(tradDer)))).toBe(pin);
    if (type !== 'ed25519') {
      const traditional = openssl(['pkey', '-in', pkcs8File, '-traditional']).out;
      expect(traditional).toMatch(type === 'rsa2048' ? /BEGIN RSA PRIVATE KEY/ : /BEGIN EC PRIVATE KEY/);
      expect(spkiSha256(traditional)).toBe(pin);
    }
  });

  it('an encrypted PKCS#8 key is UNSUPPORTED_KEY with a hint, a DSA key UNSUPPORTED_KEY', () => {
    const plain = tmp.file('enc-src.pem');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', plain]);
    const enc = openssl(['pkcs8', '-topk8', '-in', plain, '-passout', 'pass:x', '-v2', 'aes-128-cbc']).out;
    expect(() => readPrivateKey(enc)).toThrow(/encrypted private keys are not supported/);
    const ed448 = openssl(['genpkey', '-algorithm', 'ED448']).out;
    let err: unknown;
    try {
      readPrivateKey(ed448);
    } catch (e) {
      err = e;
    }
    expect(CertToolError.isInstance(err) && err.code).toBe('UNSUPPORTED_KEY');
  });
});

describe('our own certificates', () => {
  it('inspect reports what generateSelfSigned was asked for', async () => {
    const notBefore = new Date('2030-01-02T03:04:05.678Z');
    const made = await generateSelfSigned({
      sans: ['svc.test', '192.0.2.7', 'fd00::7'],
      commonName: 'Service, "quoted"',
      organization: '#Org ',
      purpose: 'both',
      keyType: 'ed25519',
      notBefore,
      days: 10,
      serialNumber: Uint8Array.of(0x7f, 0xff),
    });
    const info = inspectCertificate(made.certificate);
    expect(info).toMatchObject({
      subject: 'O=\\#Org\\ ,CN=Service\\, \\"quoted\\"',
      serialNumber: '7fff',
      keyType: 'ed25519',
      signatureAlgorithm: 'Ed25519',
      isCa: false,
      keyUsage: ['digitalSignature'],
      extendedKeyUsage: ['serverAuth', 'clientAuth'],
      dnsNames: ['svc.test'],
      ipAddresses: ['192.0.2.7', 'fd00::7'],
      selfIssued: true,
    });
    expect(info.authorityKeyIdentifier).toBeUndefined();
    expect(info.notBefore.toISOString()).toBe('2030-01-02T03:04:05.000Z'); // whole seconds (RFC 5280 §4.1.2.5)
    expect(info.notAfter.toISOString()).toBe('2030-01-12T03:04:05.000Z');
    expect(spkiSha256(made.privateKey)).toBe(info.spkiSha256);
  });

  it('defaults: P-256, localhost/127.0.0.1/::1, server, 365 days from now with 5 minutes of skew, 16-byte positive serials', async () => {
    const now = new Date('2031-06-01T00:00:00Z');
    const a = inspectCertificate((await generateSelfSigned({ now })).certificate);
    const b = inspectCertificate((await generateSelfSigned({ now })).certificate);
    expect(a).toMatchObject({ subject: 'CN=localhost', keyType: 'p256', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], extendedKeyUsage: ['serverAuth'] });
    expect(a.notBefore.toISOString()).toBe('2031-05-31T23:55:00.000Z');
    expect(a.notAfter.toISOString()).toBe('2032-05-31T00:00:00.000Z');
    for (const s of [a.serialNumber, b.serialNumber]) {
      expect(s).toMatch(/^[4-7][0-9a-f]{31}$/);
    }
    expect(a.serialNumber).not.toBe(b.serialNumber);
  });

  it('times from 2050 are GeneralizedTime and still read back (RFC 5280 §4.1.2.5)', async () => {
    const made = await generateSelfSigned({ notBefore: new Date('2049-12-31T00:00:00Z'), notAfter: new Date('2051-01-01T00:00:00Z') });
    const info = inspectCertificate(made.certificate);
    expect(info.notAfter.toISOString()).toBe('2051-01-01T00:00:00.000Z');
    const hex = Buffer.from(made.certificate).toString('hex');
    expect(hex).toContain(Buffer.from('491231000000Z').toString('hex')); // UTCTime
    expect(hex).toContain(Buffer.from('20510101000000Z').toString('hex')); // GeneralizedTime
  });

  it.each([
    [{ days: 0 }, RangeError],
    [{ days: -1 }, RangeError],
    [{ notBefore: new Date('2030-01-01'), notAfter: new Date('2029-01-01') }, RangeError],
    [{ notBefore: new Date('1900-01-01') }, RangeError],
    [{ keyType: 'p521' as never }, RangeError],
    [{ purpose: 'peer' as never }, RangeError],
    [{ commonName: 'x'.repeat(65) }, RangeError],
    [{ serialNumber: Uint8Array.of(0x80) }, RangeError],
    [{ serialNumber: Uint8Array.of(0, 1) }, RangeError],
    [{ serialNumber: new Uint8Array(21).fill(1) }, RangeError],
    [{ sans: [] }, RangeError],
  ])('caller mistake %o → %s', async (opts, type) => {
    await expect(generateSelfSigned(opts)).rejects.toThrow(type);
  });

  it('a bad SAN is CertToolError BAD_SAN', async () => {
    await expect(generateSelfSigned({ sans: ['ok.test', 'not ok'] })).rejects.toMatchObject({ code: 'BAD_SAN', name: 'CertToolError' });
  });

  it('re-certifying the same key keeps the SPKI pin', async () => {
    const first = await generateSelfSigned();
    const second = await generateSelfSigned({ key: first.privateKey, days: 30 });
    expect(spkiSha256(second.certificate)).toBe(spkiSha256(first.certificate));
    expect(Buffer.from(second.privateKey).equals(Buffer.from(first.privateKey))).toBe(true);
  });
});
