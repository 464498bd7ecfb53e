import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H3Error, H3ErrorCode } from '../src/h3/errors.js';
import { decodeFieldSection, encodeFieldSection, type FieldLine, fieldSectionSize } from '../src/qpack/field-section.js';
import { huffmanEncode } from '../src/qpack/huffman.js';
import { decodePrefixedInteger, encodePrefixedInteger } from '../src/qpack/prefixed-integer.js';
import { STATIC_TABLE, staticIndexOf, staticNameIndexOf } from '../src/qpack/static-table.js';
import { ascii, hex, toHex } from './support/hex.js';

const LIMITS = { maxFieldSectionSize: 64 * 1024 };

function decodeError(bytes: Uint8Array, limits = LIMITS): H3Error {
  try {
    decodeFieldSection(bytes, limits);
  } catch (e) {
    if (H3Error.isInstance(e)) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('prefixed integers (RFC 7541 §5.1, C.1)', () => {
  it.each([
    ['C.1.1: 10 with a 5-bit prefix', 5, 10, '0a'],
    ['C.1.2: 1337 with a 5-bit prefix', 5, 1337, '1f9a0a'],
    ['C.1.3: 42 with an 8-bit prefix', 8, 42, '2a'],
  ])('%s', (_, prefix, value, encoded) => {
    const out: number[] = [];
    encodePrefixedInteger(out, 0, prefix, value);
    expect(toHex(Uint8Array.from(out))).toBe(encoded);
    expect(decodePrefixedInteger(hex(encoded), 0, prefix)).toEqual({ value, next: encoded.length / 2 });
  });

  it('reports truncation and values beyond 62 bits / 2^53', () => {
    expect(decodePrefixedInteger(hex('1f'), 0, 5)).toBe('truncated');
    expect(decodePrefixedInteger(hex('1f9a'), 0, 5)).toBe('truncated');
    expect(decodePrefixedInteger(hex('1f ffffffffffffffffff 01'), 0, 5)).toBe('overflow');
    expect(decodePrefixedInteger(hex('1f 8080808080808080 80 00'), 0, 5)).toBe('overflow'); // overlong
  });

  it('round-trips for every prefix size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.maxSafeNat(), (prefix, value) => {
        const out: number[] = [];
        encodePrefixedInteger(out, 0, prefix, value);
        expect(decodePrefixedInteger(Uint8Array.from(out), 0, prefix)).toEqual({ value, next: out.length });
      }),
    );
  });
});

describe('static table (RFC 9204 Appendix A)', () => {
  it('has the 99 entries of the RFC, in order', () => {
    expect(STATIC_TABLE.length).toBe(99);
    expect(STATIC_TABLE[0]).toEqual([':authority', '']);
    expect(STATIC_TABLE[17]).toEqual([':method', 'GET']);
    expect(STATIC_TABLE[25]).toEqual([':status', '200']);
    expect(STATIC_TABLE[52]).toEqual(['content-type', 'text/html; charset=utf-8']);
    expect(STATIC_TABLE[54]).toEqual(['content-type', 'text/plain;charset=utf-8']);
    expect(STATIC_TABLE[58]).toEqual(['strict-transport-security', 'max-age=31536000; includesubdomains; preload']);
    expect(STATIC_TABLE[85]).toEqual(['content-security-policy', "script-src 'none'; object-src 'none'; base-uri 'none'"]);
    expect(STATIC_TABLE[98]).toEqual(['x-frame-options', 'sameorigin']);
  });

  it('looks up exact lines and names', () => {
    expect(staticIndexOf(':status', '404')).toBe(27);
    expect(staticIndexOf(':status', '418')).toBeUndefined();
    expect(staticNameIndexOf(':status')).toBe(24);
    expect(staticNameIndexOf('content-length')).toBe(4);
    expect(staticNameIndexOf('x-unknown')).toBeUndefined();
  });
});

describe('field sections: vectors and hand-built sections (RFC 9204 §4.5)', () => {
  it('B.1: a literal field line with a static name reference', () => {
    expect(decodeFieldSection(hex('0000 510b 2f69 6e64 6578 2e68 746d 6c'), LIMITS)).toEqual([[':path', '/index.html']]);
    expect(toHex(encodeFieldSection([[':path', '/index.html']]))).toBe('0000510b2f696e6465782e68746d6c');
  });

  it('decodes indexed static lines, Huffman values and literal names', () => {
    const value = huffmanEncode(ascii('www.example.com'));
    const name = ascii('x-test');
    const section = Uint8Array.from([
      0x00, 0x00, // Required Insert Count 0, Base 0
      0xc0 | 17, // indexed, static 17: :method GET
      0xc0 | 23, // indexed, static 23: :scheme https
      0x50, 0x80 | value.length, ...value, // literal with static name 0 (:authority), Huffman value
      0x20 | name.length, ...name, 0x03, ...ascii('yes'), // literal name, plain value
    ]);
    expect(decodeFieldSection(section, LIMITS)).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'www.example.com'],
      ['x-test', 'yes'],
    ]);
  });

  it('decodes a Huffman-coded literal name (4-bit prefix string) and a multi-byte static index', () => {
    const name = huffmanEncode(ascii('x-custom-header'));
    // 0x2f: literal name, H=1, 3-bit length 7 + continuation; then an empty value; then 0xff 0x24: static 63 + 36 = 99, out of range.
    const section = Uint8Array.from([0x00, 0x00, 0x28 | 0x07, name.length - 7, ...name, 0x00, 0xff, 0x24]);
    expect(decodeError(section).code).toBe(H3ErrorCode.QPACK_DECOMPRESSION_FAILED);
    const ok = Uint8Array.from([0x00, 0x00, 0x28 | 0x07, name.length - 7, ...name, 0x00, 0xff, 0x23]);
    expect(decodeFieldSection(ok, LIMITS)).toEqual([
      ['x-custom-header', ''],
      ['x-frame-options', 'sameorigin'],
    ]);
  });

  it('encodes with exact static matches, static names and literals, and round-trips', () => {
    const fields: FieldLine[] = [
      [':status', '200'],
      ['content-length', '1234'],
      ['x-hello', 'world'],
    ];
    const encoded = encodeFieldSection(fields);
    expect(toHex(encoded)).toBe(`0000d9540431323334${toHex(Uint8Array.of(0x27, 0x00))}${toHex(ascii('x-hello'))}05${toHex(ascii('world'))}`);
    expect(decodeFieldSection(encoded, LIMITS)).toEqual(fields);
    expect(fieldSectionSize(fields)).toBe(7 + 3 + 14 + 4 + 7 + 5 + 3 * 32);
  });

  it('round-trips arbitrary octet strings', () => {
    const text = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text), { maxLength: 12 }), (fields) => {
        expect(decodeFieldSection(encodeFieldSection(fields), LIMITS)).toEqual(fields);
      }),
    );
  });
});

describe('field sections: refused input', () => {
  it.each([
    ['Required Insert Count not 0', '0100'],
    ['Required Insert Count truncated', 'ff'],
    ['Base missing', '00'],
    ['Sign bit set (negative Base)', '0080'],
    ['indexed line, dynamic table (T=0)', '000080'],
    ['indexed line, static index 99', '0000ff24'],
    ['post-base indexed line', '000010'],
    ['literal with dynamic name reference (T=0)', '00004000'],
    ['literal with post-base name reference', '0000000000'],
    ['literal value longer than the section', '0000510b2f'],
    ['literal name longer than the section', '000025616263'],
    ['Huffman value with zero padding', '00005f0d8100'],
    ['Huffman value containing EOS', '00005f0d84fffffffc'],
    ['static index integer too large', '0000ff ffffffffffffffffff 01'],
  ])('%s: QPACK_DECOMPRESSION_FAILED, connection error', (_, section) => {
    const e = decodeError(hex(section));
    expect(e.code).toBe(H3ErrorCode.QPACK_DECOMPRESSION_FAILED);
    expect(e.scope).toBe('connection');
  });

  it('a section above the size limit is a stream error (H3_MESSAGE_ERROR)', () => {
    const fields: FieldLine[] = Array.from({ length: 40 }, (_, i) => [`x-f${i}`, 'v'.repeat(20)]);
    const e = decodeError(encodeFieldSection(fields), { maxFieldSectionSize: 1000 });
    expect(e.code).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    expect(e.scope).toBe('stream');
    expect(decodeFieldSection(encodeFieldSection(fields), { maxFieldSectionSize: fieldSectionSize(fields) })).toHaveLength(40);
  });

  it('bounds the expansion of one-byte static references by the size limit', () => {
    const section = new Uint8Array(2 + 100_000).fill(0xc0 | 85); // 100k copies of the longest static line
    section[0] = 0;
    section[1] = 0;
    expect(decodeError(section).code).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
  });

  it('random bytes only ever decode or throw a typed H3Error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (tail, prefixed) => {
        const bytes = prefixed ? Uint8Array.from([0, 0, ...tail]) : tail;
        try {
          const fields = decodeFieldSection(bytes, { maxFieldSectionSize: 4096 });
          expect(Array.isArray(fields)).toBe(true);
        } catch (e) {
          expect(H3Error.isInstance(e)).toBe(true);
          expect([H3ErrorCode.QPACK_DECOMPRESSION_FAILED, H3ErrorCode.H3_MESSAGE_ERROR]).toContain((e as H3Error).code);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
