/**
 * Bad bytes end in CertToolError, never a crash: every truncation of real certificates and keys
 * (ours and OpenSSL's, DER and PEM), random bytes, and random mutations of real DER.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertToolError, certificatesToPem, createCa, generateKeyPair, inspectCertificate, issueCertificate, privateKeyToPem, publicKeyOf, readCertificate, readPrivateKey, spkiSha256 } from '../src/index.js';
import { checkDer } from '../src/der.js';
import { HAVE_OPENSSL, openssl, tempDir } from './helpers.js';

type Input = Uint8Array | string;
/** TSQUIC_FUZZ_SCALE=20 for a long run (the default suite stays fast). */
const SCALE = Number(process.env.TSQUIC_FUZZ_SCALE ?? 1);
const PARSERS: [string, (x: Input) => unknown][] = [
  ['readCertificate', readCertificate],
  ['inspectCertificate', inspectCertificate],
  ['readPrivateKey', readPrivateKey],
  ['spkiSha256', spkiSha256],
  ['publicKeyOf', publicKeyOf],
];

/** Run a parser: returns 'ok', or the CertToolError code; anything else fails the test. */
function outcome(f: (x: Input) => unknown, x: Input): string {
  try {
    f(x);
    return 'ok';
  } catch (e) {
    if (CertToolError.isInstance(e)) {
      expect(e.message).not.toContain('\n');
      return e.code;
    }
    throw new Error(`not a CertToolError for input ${typeof x === 'string' ? JSON.stringify(x.slice(0, 80)) : Buffer.from(x).toString('hex').slice(0, 160)}: ${String(e)}`);
  }
}

const certs: Record<string, Uint8Array> = {};
const keys: Record<string, Uint8Array> = {};

beforeAll(async () => {
  const rsa = await generateKeyPair('rsa2048');
  for (const keyType of ['p256', 'p384', 'ed25519'] as const) {
    const ca = await createCa({ keyType });
    const leaf = await issueCertificate(ca, { keyType, sans: ['a.test', '10.0.0.1', '2001:db8::1'] });
    certs[keyType] = leaf.certificate;
    keys[keyType] = leaf.privateKey;
  }
  const ca = await createCa({ key: rsa });
  certs.rsa = (await issueCertificate(ca, { key: rsa })).certificate;
  keys.rsa = rsa.privateKey;
  if (HAVE_OPENSSL) {
    const tmp = tempDir();
    try {
      const k = tmp.file('k.pem');
      const c = tmp.file('c.der');
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', k, '-subj', '/CN=o.test', '-addext', 'subjectAltName=DNS:o.test,IP:10.1.1.1', '-outform', 'DER', '-out', c, '-days', '2']);
      const { readFileSync } = await import('node:fs');
      certs.openssl = new Uint8Array(readFileSync(c));
      keys.openssl = readPrivateKey(readFileSync(k, 'utf8')).privateKey;
    } finally {
      tmp.cleanup();
    }
  }
}, 30_000);

describe('real inputs parse', () => {
  it('every fixture certificate and key is accepted', () => {
    for (const c of Object.values(certs)) for (const [, f] of PARSERS.filter(([n]) => n !== 'readPrivateKey')) expect(outcome(f, c)).toBe('ok');
    for (const k of Object.values(keys)) {
      expect(outcome(readPrivateKey, k)).toBe('ok');
      expect(outcome(spkiSha256, k)).toBe('ok');
    }
  });
});

describe('truncations', () => {
  it('every proper prefix of every DER certificate and key is MALFORMED_DER', () => {
    for (const der of [...Object.values(certs), ...Object.values(keys)]) {
      for (let n = 0; n < der.length; n++) {
        const cut = der.subarray(0, n);
        for (const [, f] of PARSERS) expect(outcome(f, cut)).toBe('MALFORMED_DER');
      }
    }
  });

  it('every prefix of PEM text that cuts into the block is MALFORMED_PEM or MALFORMED_DER', () => {
    const texts = [...Object.values(certs).map((c) => certificatesToPem(c)), ...Object.values(keys).map((k) => privateKeyToPem(k))];
    for (const text of texts) {
      const end = text.lastIndexOf('-----END');
      for (let n = 0; n < end; n += 3) {
        for (const [, f] of PARSERS) expect(['MALFORMED_PEM', 'MALFORMED_DER']).toContain(outcome(f, text.slice(0, n)));
      }
    }
  });

  it('trailing bytes after a certificate are MALFORMED_DER', () => {
    const c = certs.p256!;
    const longer = new Uint8Array(c.length + 1);
    longer.set(c);
    for (const [, f] of PARSERS) expect(outcome(f, longer)).toBe('MALFORMED_DER');
  });
});

describe('strict DER (X.690 §10.1)', () => {
  it.each([
    ['indefinite length', [0x30, 0x80, 0x00, 0x00]],
    ['non-minimal long form', [0x04, 0x81, 0x01, 0x00]],
    ['leading zero length octet', [0x04, 0x82, 0x00, 0x81, ...new Array(0x81).fill(0)]],
    ['length beyond input', [0x30, 0x05, 0x02, 0x01]],
    ['child overruns parent', [0x30, 0x03, 0x02, 0x05, 0x00, 0x00, 0x00]],
    ['high tag number form', [0x1f, 0x81, 0x00, 0x00]],
    ['five length octets', [0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00]],
    ['empty', []],
  ])('%s → MALFORMED_DER', (_n, bytes) => {
    expect(outcome((x) => checkDer(x as Uint8Array), Uint8Array.from(bytes))).toBe('MALFORMED_DER');
  });

  it('deep nesting is refused, not recursed without bound', () => {
    const depth = 5000;
    // SEQUENCE { SEQUENCE { ... } } built from the inside out with long-form lengths.
    let b = new Uint8Array(0);
    for (let i = 0; i < depth; i++) {
      const len = b.length;
      const head = len < 128 ? [0x30, len] : len < 256 ? [0x30, 0x81, len] : len < 65536 ? [0x30, 0x82, len >> 8, len & 255] : [0x30, 0x83, len >> 16, (len >> 8) & 255, len & 255];
      const next = new Uint8Array(head.length + len);
      next.set(head);
      next.set(b, head.length);
      b = next;
    }
    for (const [, f] of PARSERS) expect(outcome(f, b)).toBe('MALFORMED_DER');
  });
});

describe('fuzz (fast-check)', { timeout: 30_000 * SCALE }, () => {
  it('random bytes: every parser returns or throws CertToolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        for (const [, f] of PARSERS) outcome(f, b);
      }),
      { numRuns: 2000 * SCALE },
    );
  });

  it('random DER-shaped bytes (a SEQUENCE header over random content)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 127 }), (content) => {
        const b = Uint8Array.from([0x30, content.length, ...content]);
        for (const [, f] of PARSERS) outcome(f, b);
      }),
      { numRuns: 2000 * SCALE },
    );
  });

  it('mutations of real certificates and keys: overwritten, inserted and deleted bytes', () => {
    const samples = [...Object.values(certs), ...Object.values(keys)];
    const mutation = fc.record({
      sample: fc.nat({ max: samples.length - 1 }),
      at: fc.nat(),
      kind: fc.constantFrom('set', 'insert', 'delete', 'flip'),
      value: fc.integer({ min: 0, max: 255 }),
      count: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
        let b = samples[muts[0]!.sample]!.slice();
        for (const m of muts) {
          const i = m.at % b.length;
          if (m.kind === 'set') b[i] = m.value;
          else if (m.kind === 'flip') b[i] = b[i]! ^ (1 << (m.value & 7));
          else if (m.kind === 'insert') b = Uint8Array.from([...b.subarray(0, i), ...new Array(m.count).fill(m.value), ...b.subarray(i)]);
          else b = Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + m.count)]);
        }
        for (const [, f] of PARSERS) outcome(f, b);
      }),
      { numRuns: 1500 * SCALE },
    );
  });

  it('random text inside PEM armour', () => {
    fc.assert(
      fc.property(fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'PUBLIC KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'), fc.string({ maxLength: 200 }), (label, body) => {
        const text = `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
        for (const [, f] of PARSERS) outcome(f, text);
      }),
      { numRuns: 1000 * SCALE },
    );
  });

  it('base64 of random DER-shaped bytes inside PEM armour', () => {
    fc.assert(
      fc.property(fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'PUBLIC KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'), fc.uint8Array({ maxLength: 120 }), (label, content) => {
        const der = Uint8Array.from([0x30, content.length, ...content]);
        const text = `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64')}\n-----END ${label}-----\n`;
        for (const [, f] of PARSERS) outcome(f, text);
      }),
      { numRuns: 1000 * SCALE },
    );
  });
});
