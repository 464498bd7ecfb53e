/** RFC 5280 §4.2.1.6 SAN parsing, RFC 4291 §2.2 IPv6 text, RFC 5952 canonical output; cross-checked against node:net and WHATWG URL. */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CertToolError, parseSan, parseSans } from '../src/index.js';
import { formatIPv6, parseIPv4, parseIPv6 } from '../src/san.js';

const VALID: [string, 'dns' | 'ip', string][] = [
  ['localhost', 'dns', 'localhost'],
  ['LocalHost', 'dns', 'localhost'],
  ['a.b-c.example', 'dns', 'a.b-c.example'],
  ['3com.example', 'dns', '3com.example'], // RFC 1123 §2.1: labels may start with a digit
  ['*.example.com', 'dns', '*.example.com'],
  ['xn--bcher-kva.example', 'dns', 'xn--bcher-kva.example'],
  ['DNS:localhost', 'dns', 'localhost'],
  ['127.0.0.1', 'ip', '127.0.0.1'],
  ['0.0.0.0', 'ip', '0.0.0.0'],
  ['255.255.255.255', 'ip', '255.255.255.255'],
  ['::1', 'ip', '::1'],
  ['[::1]', 'ip', '::1'],
  ['IP:::1', 'ip', '::1'],
  ['ip:10.0.0.1', 'ip', '10.0.0.1'],
  ['::', 'ip', '::'],
  ['2001:DB8::1', 'ip', '2001:db8::1'],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', 'ip', '2001:db8::1'], // RFC 5952 §4.1, §4.2.1
  ['2001:db8:0:0:1:0:0:1', 'ip', '2001:db8::1:0:0:1'], // §4.2.3: the first of equal runs
  ['2001:0:0:1:0:0:0:1', 'ip', '2001:0:0:1::1'], // §4.2.3: the longest run
  ['2001:db8:0:1:1:1:1:1', 'ip', '2001:db8:0:1:1:1:1:1'], // §4.2.2: never one group
  ['1:2:3:4:5:6:7:8', 'ip', '1:2:3:4:5:6:7:8'],
  ['::ffff:192.0.2.1', 'ip', '::ffff:192.0.2.1'], // §5: IPv4-mapped in mixed notation
  ['::ffff:c000:201', 'ip', '::ffff:192.0.2.1'],
  ['1:2:3:4:5:6:1.2.3.4', 'ip', '1:2:3:4:5:6:102:304'],
  ['fe80::', 'ip', 'fe80::'],
];

const INVALID = [
  '',
  ' ',
  'foo bar',
  'foo_bar.example',
  '-a.example',
  'a-.example',
  'a..b',
  '.a',
  'a.',
  '*',
  'a.*.example',
  '*.*.example',
  'é.example',
  `${'x'.repeat(64)}.example`,
  `${'a.'.repeat(127)}ab`, // 255 characters
  '256.1.1.1',
  '1.2.3',
  '01.2.3.4',
  '1.2.3.4.5',
  'DNS:127.0.0.1',
  'IP:localhost',
  ':::',
  '1::2::3',
  '12345::',
  'g::1',
  'fe80::1%eth0',
  '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7',
  '::1.2.3.4.5',
  '::1.2.3',
  ':1:2:3:4:5:6:7',
  '[::1',
];

describe('parseSan', () => {
  it.each(VALID)('%s → %s %s', (input, type, value) => {
    expect(parseSan(input)).toMatchObject({ type, value });
  });

  it.each(INVALID)('%j is BAD_SAN', (input) => {
    let err: unknown;
    try {
      parseSan(input);
    } catch (e) {
      err = e;
    }
    expect(CertToolError.isInstance(err)).toBe(true);
    expect((err as CertToolError).code).toBe('BAD_SAN');
    expect((err as Error).message).not.toContain('\n');
  });

  it('iPAddress bytes are network order: 4 octets for IPv4, 16 for IPv6', () => {
    expect(Array.from((parseSan('192.0.2.1') as { bytes: Uint8Array }).bytes)).toEqual([192, 0, 2, 1]);
    expect(Array.from((parseSan('::1') as { bytes: Uint8Array }).bytes)).toEqual([...new Array(15).fill(0), 1]);
  });

  it('parseSans drops duplicates (after canonicalisation) and needs at least one', () => {
    expect(parseSans(['localhost', 'LOCALHOST', '::1', '0:0::1']).map((s) => s.value)).toEqual(['localhost', '::1']);
    expect(() => parseSans([])).toThrow(RangeError);
    expect(() => parseSans('localhost' as unknown as string[])).toThrow(TypeError);
  });

  it('property: any string is either a SAN or BAD_SAN; accepted IPs agree with node:net', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F:.[\]]{0,45}$/)), (s) => {
        try {
          const san = parseSan(s);
          if (san.type === 'ip') expect(isIP(s.replace(/^(ip:)?\[?|\]$/gi, ''))).not.toBe(0);
          else expect(isIP(san.value)).toBe(0);
        } catch (e) {
          expect(CertToolError.isInstance(e) && e.code === 'BAD_SAN').toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('IP text forms', () => {
  it('property: 16 random octets → RFC 5952 text → the same octets; node:net and WHATWG URL agree', () => {
    const zeroish = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => b.map((x, i) => (x < 128 && i < 14 ? 0 : x)));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), zeroish), (b) => {
        const text = formatIPv6(b);
        expect(isIPv6(text)).toBe(true);
        expect(Array.from(parseIPv6(text)!)).toEqual(Array.from(b));
        if (!text.startsWith('::ffff:') || text.includes(':', 7)) {
          // WHATWG's serialiser is RFC 5952's compression rule (no mixed notation).
          expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: 4 random octets round-trip through dotted-quad text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        const text = Array.from(b).join('.');
        expect(isIPv4(text)).toBe(true);
        expect(Array.from(parseIPv4(text)!)).toEqual(Array.from(b));
      }),
    );
  });
});
