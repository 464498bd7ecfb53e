/**
 * RFC 6125 §6 identity matching and RFC 5280 §4.2.1.10 name constraints, as
 * tables: presented identifier, reference identifier, expected.
 */
import { describe, expect, it } from 'vitest';
import { dnsIdMatches, ipAddressBytes, matchesReference, referenceName, satisfiesNameConstraints } from '../../src/certificates/name.js';

const DNS: [presented: string, reference: string, match: boolean][] = [
  ['example.com', 'example.com', true],
  ['Example.COM', 'example.com', true],
  ['example.com.', 'example.com', true],
  ['example.com', 'www.example.com', false],
  ['*.example.com', 'www.example.com', true],
  ['*.example.com', 'WWW.Example.Com', true],
  ['*.example.com', 'example.com', false], // the wildcard needs a label
  ['*.example.com', 'a.b.example.com', false], // exactly one label
  ['*.com', 'example.com', false], // no wildcard over a bare suffix
  ['*', 'example', false],
  ['w*.example.com', 'www.example.com', false], // partial-label wildcards are not honoured
  ['*w.example.com', 'ww.example.com', false],
  ['www.*.com', 'www.example.com', false], // only the left-most label
  ['*.*.example.com', 'a.b.example.com', false],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example', true], // A-labels compare as ASCII
  ['', 'example.com', false],
];

const IPS: [text: string, bytes: number[] | null][] = [
  ['127.0.0.1', [127, 0, 0, 1]],
  ['255.255.255.255', [255, 255, 255, 255]],
  ['256.0.0.1', null],
  ['01.2.3.4', null], // no octal ambiguity
  ['1.2.3', null],
  ['::1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
  ['[::1]', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
  ['2001:db8::8:800:200c:417a', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a]],
  ['::ffff:192.0.2.1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]],
  ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
  ['1:2:3:4:5:6:7:8:9', null],
  ['1::2::3', null],
  ['fe80::1%eth0', null],
  ['example.com', null],
];

describe('RFC 6125 DNS-ID matching', () => {
  for (const [p, r, m] of DNS) it(`${JSON.stringify(p)} vs ${JSON.stringify(r)} → ${m}`, () => expect(dnsIdMatches(p, referenceName(r).kind === 'dns' ? (referenceName(r) as { name: string }).name : r)).toBe(m));
});

describe('IP literals', () => {
  for (const [t, b] of IPS) it(`${t} → ${b ? 'address' : 'not an IP'}`, () => expect(ipAddressBytes(t) && Array.from(ipAddressBytes(t)!)).toEqual(b));
  it('an IP reference matches only iPAddress SANs, never a DNS-ID spelled like it', () => {
    expect(matchesReference(referenceName('10.0.0.1'), ['10.0.0.1'], [])).toBe(false);
    expect(matchesReference(referenceName('10.0.0.1'), [], [Uint8Array.of(10, 0, 0, 1)])).toBe(true);
    expect(matchesReference(referenceName('10.0.0.1'), [], [Uint8Array.of(10, 0, 0, 2)])).toBe(false);
  });
});

describe('RFC 5280 §4.2.1.10 name constraints', () => {
  const nc = {
    permitted: [
      { kind: 'dns' as const, value: 'example.com' },
      { kind: 'ip' as const, value: Uint8Array.of(10, 0, 0, 0, 255, 0, 0, 0) },
    ],
    excluded: [{ kind: 'dns' as const, value: 'bad.example.com' }],
  };
  const ROWS: [dns: string[], ips: number[][], ok: boolean][] = [
    [['example.com'], [], true],
    [['www.example.com'], [], true],
    [['wwwexample.com'], [], false], // a label boundary, not a suffix
    [['example.org'], [], false],
    [['x.bad.example.com'], [], false],
    [['www.example.com'], [[10, 9, 9, 9]], true],
    [['www.example.com'], [[11, 0, 0, 1]], false],
    // iPAddress is one name form: with only IPv4 ranges permitted, an IPv6 address is outside them
    [[], [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]], false],
  ];
  for (const [dns, ips, ok] of ROWS) {
    it(`${dns.join(',')} ${ips.map((i) => i.join('.')).join(',')} → ${ok}`, () => {
      expect(
        satisfiesNameConstraints(
          nc,
          dns,
          ips.map((i) => Uint8Array.from(i)),
        ),
      ).toBe(ok);
    });
  }
  // A wildcard DNS-ID stands for every name one label left of its base: excluded as soon as one of them is.
  const WILD: [san: string, excluded: string, refused: boolean][] = [
    ['*.example.com', 'bad.example.com', true], // *.example.com can be bad.example.com (issue 15, finding 4)
    ['*.example.com', 'example.com', true], // every expansion is inside example.com
    ['*.example.com', '.example.com', true],
    ['*.example.com', 'com', true],
    ['*.example.com', 'a.bad.example.com', false], // two labels more: no expansion reaches it
    ['*.example.com', '.bad.example.com', false], // subdomains of bad.example.com only
    ['*.example.com', 'example.org', false],
    ['*.a.example.com', 'example.com', true],
    ['*.EXAMPLE.com', 'Bad.Example.COM', true],
    ['*.example.com', '', true], // an empty constraint covers every name
  ];
  for (const [san, ex, refused] of WILD) {
    it(`SAN ${san} with excluded ${JSON.stringify(ex)} → ${refused ? 'violates' : 'satisfies'}`, () => {
      expect(satisfiesNameConstraints({ permitted: [], excluded: [{ kind: 'dns', value: ex.toLowerCase() }] }, [san], [])).toBe(!refused);
    });
  }
  it('a wildcard is permitted only when all it can stand for is', () => {
    const only = (p: string) => ({ permitted: [{ kind: 'dns' as const, value: p }], excluded: [] });
    expect(satisfiesNameConstraints(only('example.com'), ['*.example.com'], [])).toBe(true);
    expect(satisfiesNameConstraints(only('good.example.com'), ['*.example.com'], [])).toBe(false);
  });
  it('comparisons are counted for the path budget', () => {
    let n = 0;
    satisfiesNameConstraints(nc, ['www.example.com', 'a.example.com'], [Uint8Array.of(10, 1, 1, 1)], () => n++);
    expect(n).toBe(2 * (1 + 1) + 1 * (1 + 1)); // per name: its permitted subtrees (first match stops) and every excluded one
  });
  it('a leading-dot constraint means subdomains only', () => {
    const sub = { permitted: [{ kind: 'dns' as const, value: '.example.com' }], excluded: [] };
    expect(satisfiesNameConstraints(sub, ['a.example.com'], [])).toBe(true);
    expect(satisfiesNameConstraints(sub, ['example.com'], [])).toBe(false);
  });
});
