/**
 * The primitives of RFC 9204 §4.1 and the static table (§3.1, Appendix A):
 * prefixed integers against RFC 7541 C.1, the Huffman code against RFC 7541
 * Appendix B and the C.4 / C.6 examples byte for byte, string literals with
 * every prefix size, and the static table against Appendix A.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  ByteWriter,
  decodePrefixedInteger,
  encodePrefixedInteger,
  encodeStringLiteral,
  HUFFMAN_EOS,
  huffmanCode,
  huffmanCodeLength,
  huffmanDecode,
  huffmanEncode,
  huffmanEncodedLength,
  QpackErrorCode,
  Reader,
  STATIC_TABLE,
  staticIndexOf,
  staticNameIndexOf,
  stringToOctets,
  Truncated,
} from '../../src/qpack/index.js';
import { ascii, hex, qpackErrorOf, toHex } from './support.js';

// Loops and property runs: generous timeouts for a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

const octetString = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength });

function encodeInt(prefix: number, value: number, flags = 0): Uint8Array {
  const w = new ByteWriter(4);
  encodePrefixedInteger(w, flags, prefix, value);
  return w.take();
}

describe('prefixed integers (RFC 9204 §4.1.1, RFC 7541 §5.1 and C.1)', () => {
  it.each([
    ['C.1.1: 10 with a 5-bit prefix', 5, 10, '0a'],
    ['C.1.2: 1337 with a 5-bit prefix', 5, 1337, '1f9a0a'],
    ['C.1.3: 42 with an 8-bit prefix', 8, 42, '2a'],
    ['the prefix maximum itself needs a zero continuation', 3, 7, '0700'],
    ['2^53 - 1 with a 6-bit prefix', 6, Number.MAX_SAFE_INTEGER, '3fc0ffffffffffff0f'],
  ])('%s', (_, prefix, value, encoded) => {
    expect(toHex(encodeInt(prefix, value))).toBe(encoded);
    expect(decodePrefixedInteger(hex(encoded), 0, prefix)).toEqual({ value, next: encoded.length / 2 });
  });

  it('keeps the flag bits above the prefix', () => {
    expect(toHex(encodeInt(5, 1337, 0x20))).toBe('3f9a0a');
    expect(decodePrefixedInteger(hex('3f9a0a'), 0, 5)).toEqual({ value: 1337, next: 3 });
  });

  it('reports truncation (also at an explicit end) and values beyond 2^53 - 1 or 62 bits', () => {
    expect(decodePrefixedInteger(hex('1f'), 0, 5)).toBe('truncated');
    expect(decodePrefixedInteger(hex('1f9a'), 0, 5)).toBe('truncated');
    expect(decodePrefixedInteger(hex('1f9a0a'), 0, 5, 2)).toBe('truncated');
    expect(decodePrefixedInteger(hex(''), 0, 5)).toBe('truncated');
    expect(decodePrefixedInteger(hex('1f ffffffffffffffffff 01'), 0, 5)).toBe('overflow');
    expect(decodePrefixedInteger(hex('1f 8080808080808080 80 00'), 0, 5)).toBe('overflow'); // overlong zero
    expect(decodePrefixedInteger(hex('3f c1ffffffffffff0f'), 0, 6)).toBe('overflow'); // 2^53 exactly
    expect(decodePrefixedInteger(hex('3f c0ffffffffffff0f'), 0, 6)).toEqual({ value: Number.MAX_SAFE_INTEGER, next: 9 });
  });

  it('refuses a caller value that is not a safe non-negative integer (RangeError)', () => {
    for (const v of [-1, 1.5, 2 ** 53, Number.NaN]) expect(() => encodeInt(5, v)).toThrow(RangeError);
  });

  it('round-trips every value for every prefix size (3 to 8 bits)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 8 }), fc.maxSafeNat(), (prefix, value) => {
        const bytes = encodeInt(prefix, value);
        expect(decodePrefixedInteger(bytes, 0, prefix)).toEqual({ value, next: bytes.length });
        for (let cut = 0; cut < bytes.length; cut++) expect(decodePrefixedInteger(bytes.subarray(0, cut), 0, prefix)).toBe('truncated');
      }),
    );
  });
});

/**
 * RFC 7541 Appendix C.4 (requests) and C.6 (responses): the Huffman-coded
 * string literals of each header block, as [hex of the literal, text].
 */
// prettier-ignore
const HUFFMAN_VECTORS: [string, string, string][] = [
  ['C.4.1', '8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', 'www.example.com'],
  ['C.4.2', '86a8 eb10 649c bf', 'no-cache'],
  ['C.4.3', '8825 a849 e95b a97d 7f', 'custom-key'],
  ['C.4.3', '8925 a849 e95b b8e8 b4bf', 'custom-value'],
  ['C.6.1', '8264 02', '302'],
  ['C.6.1', '85ae c377 1a4b', 'private'],
  ['C.6.1', '96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
  ['C.6.1', '919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3', 'https://www.example.com'],
  ['C.6.2', '8364 0eff', '307'],
  ['C.6.3', '96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 84a6 2d1b ff', 'Mon, 21 Oct 2013 20:13:22 GMT'],
  ['C.6.3', '839b d9ab', 'gzip'],
  ['C.6.3', 'ad94 e782 1dd7 f2e6 c7b3 35df dfcd 5b39 60d5 af27 087f 3672 c1ab 270f b529 1f95 8731 6065 c003 ed4e e5b1 063d 5007', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
];

const readString = (bytes: Uint8Array, prefixBits = 8) => new Reader(bytes, 0, bytes.length, QpackErrorCode.DECOMPRESSION_FAILED).string(prefixBits, 'value', () => Infinity, '');

describe('Huffman code (RFC 7541 Appendix B)', () => {
  it('is a complete prefix code: the Kraft sum is exactly 1', () => {
    let sum = 0n;
    for (let s = 0; s <= HUFFMAN_EOS; s++) sum += 1n << BigInt(30 - huffmanCodeLength(s));
    expect(sum).toBe(1n << 30n);
  });

  it('is canonical: ordered by (length, symbol), each code follows from the previous', () => {
    const order = Array.from({ length: 257 }, (_, s) => s).sort((a, b) => huffmanCodeLength(a) - huffmanCodeLength(b) || a - b);
    let code = 0;
    let previous = huffmanCodeLength(order[0]!);
    order.forEach((s, i) => {
      const length = huffmanCodeLength(s);
      if (i > 0) code = (code + 1) * 2 ** (length - previous);
      previous = length;
      expect(huffmanCode(s), `symbol ${s}`).toBe(code);
    });
  });

  it.each([
    [0, 0x1ff8, 13],
    [32, 0x14, 6],
    [47, 0x18, 6], // the RFC's own example: '/' is 011000
    [48, 0x0, 5],
    [97, 0x3, 5],
    [255, 0x3ffffee, 26],
    [HUFFMAN_EOS, 0x3fffffff, 30],
  ])('symbol %i is 0x%s in %i bits', (symbol, code, length) => {
    expect(huffmanCode(symbol)).toBe(code);
    expect(huffmanCodeLength(symbol)).toBe(length);
  });

  it.each(HUFFMAN_VECTORS)('%s: %s decodes to the RFC text and the text encodes to the same bytes', (_, literal, text) => {
    const bytes = hex(literal);
    expect(readString(bytes)).toBe(text);
    const w = new ByteWriter();
    encodeStringLiteral(w, 0, 8, text, 'auto');
    // 'auto' Huffman-codes only when strictly shorter; '307' is 3 octets either way and goes out plain
    expect(toHex(w.take())).toBe(bytes.length - 1 < text.length ? toHex(bytes) : toHex(Uint8Array.of(text.length, ...ascii(text))));
    expect(huffmanEncodedLength(text)).toBe(bytes.length - 1);
    expect(toHex(huffmanEncode(ascii(text)))).toBe(toHex(bytes.subarray(1)));
  });

  it('refuses padding longer than 7 bits, padding that is not EOS-prefix ones, and an EOS inside (RFC 7541 §5.2)', () => {
    expect(huffmanDecode(hex('07ff'))).toBe('padding'); // '0' then 11 one bits
    expect(huffmanDecode(hex('ff'))).toBe('padding');
    expect(huffmanDecode(hex('00'))).toBe('padding'); // '0' then zero padding
    expect(huffmanDecode(hex('ffff fffc'))).toBe('eos');
    expect(huffmanDecode(new Uint8Array(0))).toEqual(new Uint8Array(0));
    expect(huffmanDecode(hex('07'))).toEqual(ascii('0'));
    const e = qpackErrorOf(() => readString(hex('8100')));
    expect(e?.code).toBe(QpackErrorCode.DECOMPRESSION_FAILED);
    expect(e?.reason).toMatch(/padding/);
  });

  it('round-trips every octet alone and all of them together, as bytes and as strings', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(huffmanDecode(huffmanEncode(all))).toEqual(all);
    expect(huffmanEncode(String.fromCharCode(...all))).toEqual(huffmanEncode(all));
    for (let b = 0; b < 256; b++) expect(huffmanDecode(huffmanEncode(Uint8Array.of(b)))).toEqual(Uint8Array.of(b));
  });

  it('round-trips random bytes; random input decodes to the one string that encodes back to it, or is refused', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void expect(huffmanDecode(huffmanEncode(bytes))).toEqual(bytes)));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = huffmanDecode(bytes);
        if (r instanceof Uint8Array) expect(huffmanEncode(r)).toEqual(bytes);
        else expect(['eos', 'padding']).toContain(r);
      }),
    );
  });
});

describe('string literals (RFC 9204 §4.1.2)', () => {
  it('round-trip with every prefix size, plain and Huffman, keeping the flag bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), octetString(200), fc.constantFrom('auto' as const, 'never' as const), (prefixBits, text, huffman) => {
        const flags = (0xff << prefixBits) & 0xff;
        const w = new ByteWriter();
        encodeStringLiteral(w, flags, prefixBits, text, huffman);
        const bytes = w.take();
        expect(bytes[0]! & flags).toBe(flags);
        const r = new Reader(bytes, 0, bytes.length, QpackErrorCode.DECOMPRESSION_FAILED);
        expect(r.string(prefixBits, 'value', () => Infinity, '')).toBe(text);
        expect(r.pos).toBe(bytes.length);
        if (huffman === 'never') expect(bytes[0]! & (1 << (prefixBits - 1))).toBe(0);
        else expect(bytes.length).toBeLessThanOrEqual(text.length + 1 + Math.ceil(text.length / 128) + 1);
      }),
    );
  });

  it('chooses Huffman only when it is shorter', () => {
    const w = new ByteWriter();
    encodeStringLiteral(w, 0, 8, 'www.example.com', 'auto');
    expect(w.take()[0]).toBe(0x80 | 12);
    encodeStringLiteral(w, 0, 8, '\u00ff\u00fe', 'auto'); // 26-bit codes: plain is shorter
    expect(toHex(w.take())).toBe('02fffe');
  });

  it('waits (Truncated) for a string whose length is known, and refuses one longer than allowed before waiting', () => {
    const r = new Reader(hex('0a 6162'), 0, 3, QpackErrorCode.ENCODER_STREAM_ERROR);
    expect(() => r.string(8, 'value', () => 100, 'too long')).toThrow(Truncated);
    try {
      new Reader(hex('0a 6162'), 0, 3, QpackErrorCode.ENCODER_STREAM_ERROR).string(8, 'value', () => 100, '');
    } catch (e) {
      expect((e as Truncated).end).toBe(11);
    }
    const e = qpackErrorOf(() => new Reader(hex('7f ff ff 03'), 0, 4, QpackErrorCode.ENCODER_STREAM_ERROR).string(8, 'value', () => 100, 'bigger than the table'));
    expect(e?.code).toBe(QpackErrorCode.ENCODER_STREAM_ERROR);
    expect(e?.reason).toMatch(/bigger than the table/);
  });

  it("keeps one character per octet; a wider character is the caller's mistake", () => {
    expect(stringToOctets('\u00ff\u0000a')).toEqual(Uint8Array.of(0xff, 0, 0x61));
    expect(() => stringToOctets('\u0100')).toThrow(RangeError);
  });
});

describe('static table (RFC 9204 §3.1, Appendix A)', () => {
  it('has the 99 entries of Appendix A, in order', () => {
    expect(STATIC_TABLE.length).toBe(99);
    // Spot checks across the table; the whole table was compared with the RFC text when it was written.
    expect(STATIC_TABLE[0]).toEqual([':authority', '']);
    expect(STATIC_TABLE[17]).toEqual([':method', 'GET']);
    expect(STATIC_TABLE[25]).toEqual([':status', '200']);
    expect(STATIC_TABLE[52]).toEqual(['content-type', 'text/html; charset=utf-8']);
    expect(STATIC_TABLE[54]).toEqual(['content-type', 'text/plain;charset=utf-8']);
    expect(STATIC_TABLE[58]).toEqual(['strict-transport-security', 'max-age=31536000; includesubdomains; preload']);
    expect(STATIC_TABLE[85]).toEqual(['content-security-policy', "script-src 'none'; object-src 'none'; base-uri 'none'"]);
    expect(STATIC_TABLE[98]).toEqual(['x-frame-options', 'sameorigin']);
  });

  it('looks up exact lines and the lowest index of a name', () => {
    expect(staticIndexOf(':status', '404')).toBe(27);
    expect(staticIndexOf(':status', '418')).toBeUndefined();
    expect(staticNameIndexOf(':status')).toBe(24);
    expect(staticNameIndexOf('content-length')).toBe(4);
    expect(staticNameIndexOf('x-unknown')).toBeUndefined();
    STATIC_TABLE.forEach(([name, value], i) => {
      expect(STATIC_TABLE[staticIndexOf(name, value)!]).toEqual([name, value]);
      expect(staticNameIndexOf(name)!).toBeLessThanOrEqual(i);
    });
  });
});
