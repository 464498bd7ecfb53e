/** RFC 7468 PEM and RFC 4648 base64, against Node's Buffer and OpenSSL-written PEM. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CertToolError, decodePem, decodePemAll, encodePem, generateSelfSigned, readCertificates } from '../src/index.js';
import { base64Decode, base64Encode, looksLikePem } from '../src/pem.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return CertToolError.isInstance(e) ? e.code : `not a CertToolError: ${String(e)}`;
  }
  return undefined;
}

describe('base64 (RFC 4648 §4)', () => {
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 §10 vector %j ↔ %j', (plain, b64) => {
    expect(base64Encode(new TextEncoder().encode(plain))).toBe(b64);
    expect(new TextDecoder().decode(base64Decode(b64)!)).toBe(plain);
  });

  it('property: matches Buffer and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const s = base64Encode(b);
        expect(s).toBe(Buffer.from(b).toString('base64'));
        expect(Array.from(base64Decode(s)!)).toEqual(Array.from(b));
      }),
    );
  });

  it.each(['Zg', 'Zg=', 'Zh==', 'Zm9=', 'Z===', 'Zm9v=', '=Zm9', 'Zm 9v', 'Zm9\u00e9'])('rejects %j', (s) => {
    expect(base64Decode(s)).toBeNull();
  });
});

describe('PEM (RFC 7468)', () => {
  it('writes 64-character lines between BEGIN and END and reads them back', () => {
    const der = Uint8Array.from({ length: 100 }, (_, i) => i);
    const pem = encodePem('CERTIFICATE', der);
    const lines = pem.trimEnd().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    expect(lines.slice(1, -1).map((l) => l.length)).toEqual([64, 64, 8]);
    expect(Array.from(decodePem(pem, ['CERTIFICATE'])[0]!.der)).toEqual(Array.from(der));
  });

  it('reads chains, explanatory text, CRLF and indentation (RFC 7468 §2, §3 lax)', async () => {
    const a = await generateSelfSigned();
    const b = await generateSelfSigned({ sans: ['b.test'] });
    const text = `subject=CN=a\r\n${encodePem('CERTIFICATE', a.certificate).replace(/\n/g, '\r\n')}\nsome text\n${encodePem('CERTIFICATE', b.certificate).replace(/\n(?!-)/g, '\n  ')}`;
    const certs = readCertificates(text);
    expect(certs).toHaveLength(2);
    expect(Array.from(certs[0]!)).toEqual(Array.from(a.certificate));
    expect(Array.from(certs[1]!)).toEqual(Array.from(b.certificate));
    expect(looksLikePem(new TextEncoder().encode(`\n  ${encodePem('X', a.certificate)}`))).toBe(true);
    expect(looksLikePem(a.certificate)).toBe(false);
    expect(looksLikePem(new TextEncoder().encode(`Subject: x\n${encodePem('X', a.certificate)}`))).toBe(true);
    expect(looksLikePem(Uint8Array.of(1, 2, 3))).toBe(false);
  });

  it('reads what OpenSSL writes', async () => {
    const { openssl, tempDir, HAVE_OPENSSL } = await import('./helpers.js');
    if (!HAVE_OPENSSL) return;
    const tmp = tempDir();
    try {
      const a = await generateSelfSigned();
      const derFile = tmp.file('a.der', a.certificate);
      const r = openssl(['x509', '-inform', 'DER', '-in', derFile, '-outform', 'PEM']);
      expect(Array.from(readCertificates(r.out)[0]!)).toEqual(Array.from(a.certificate));
    } finally {
      tmp.cleanup();
    }
  });

  it.each([
    ['no block', 'hello', 'MALFORMED_PEM'],
    ['no END', '-----BEGIN CERTIFICATE-----\nAAAA\n', 'MALFORMED_PEM'],
    ['END label differs', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n', 'MALFORMED_PEM'],
    ['nested BEGIN', '-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'MALFORMED_PEM'],
    ['bad base64', '-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n', 'MALFORMED_PEM'],
    ['empty body', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', 'MALFORMED_PEM'],
    ['RFC 1421 headers', '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n', 'MALFORMED_PEM'],
    ['wrong label', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'MALFORMED_PEM'],
    ['valid PEM, not DER', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'MALFORMED_DER'],
  ])('%s → %s', (_name, text, expected) => {
    expect(code(() => readCertificates(text))).toBe(expected);
  });

  it('a wrong label names what was found', () => {
    expect(() => decodePem(encodePem('PRIVATE KEY', Uint8Array.of(1)), ['CERTIFICATE'])).toThrow(/expected a PEM block labelled "CERTIFICATE", found PRIVATE KEY/);
  });

  it('non-UTF-8 bytes that start like PEM are MALFORMED_PEM', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n'), 0xff, 0xfe]);
    expect(code(() => readCertificates(bytes))).toBe('MALFORMED_PEM');
    expect(decodePemAll(encodePem('A B', Uint8Array.of(5)))[0]!.label).toBe('A B');
  });
});
