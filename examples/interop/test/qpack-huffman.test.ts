import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeStringLiteral, stringToOctets } from '../src/qpack/field-section.js';
import { HUFFMAN_EOS, huffmanCode, huffmanCodeLength, huffmanDecode, huffmanEncode } from '../src/qpack/huffman.js';
import { decodePrefixedInteger } from '../src/qpack/prefixed-integer.js';
import { ascii, hex, toHex } from './support/hex.js';

/**
 * RFC 7541 Appendix C.4 (requests) and C.6 (responses): whole HPACK header
 * blocks with Huffman-coded literals, and the literal strings each carries, in order.
 */
const BLOCKS: { name: string; block: string; literals: string[] }[] = [
  { name: 'C.4.1', block: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', literals: ['www.example.com'] },
  { name: 'C.4.2', block: '8286 84be 5886 a8eb 1064 9cbf', literals: ['no-cache'] },
  {
    name: 'C.4.3',
    block: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
    literals: ['custom-key', 'custom-value'],
  },
  {
    name: 'C.6.1',
    block:
      '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
    literals: ['302', 'private', 'Mon, 21 Oct 2013 20:13:21 GMT', 'https://www.example.com'],
  },
  { name: 'C.6.2', block: '4883 640e ffc1 c0bf', literals: ['307'] },
  {
    name: 'C.6.3',
    block:
      '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    literals: ['Mon, 21 Oct 2013 20:13:22 GMT', 'gzip', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
  },
];

/** Walks an HPACK block (RFC 7541 §6) and returns each string literal's byte range; the string literal format is QPACK's 8-bit one. */
function literalRanges(block: Uint8Array): [number, number][] {
  const ranges: [number, number][] = [];
  let pos = 0;
  const int = (prefix: number): number => {
    const r = decodePrefixedInteger(block, pos, prefix);
    if (typeof r === 'string') throw new Error(r);
    pos = r.next;
    return r.value;
  };
  const literal = (): void => {
    const start = pos;
    const length = int(7);
    pos += length;
    ranges.push([start, pos]);
  };
  while (pos < block.length) {
    const b = block[pos]!;
    if (b & 0x80) int(7); // §6.1 indexed
    else if (b & 0x40) {
      if (int(6) === 0) literal(); // §6.2.1 incremental indexing, new name
      literal();
    } else if (b & 0x20) int(5); // §6.3 table size update
    else {
      if (int(4) === 0) literal(); // §6.2.2 / §6.2.3
      literal();
    }
  }
  expect(pos).toBe(block.length);
  return ranges;
}

describe('Huffman code table (RFC 7541 Appendix B)', () => {
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
});

describe('Huffman string literals: RFC 7541 C.4 and C.6, byte for byte', () => {
  for (const { name, block, literals } of BLOCKS) {
    it(`${name}: every literal decodes to the RFC's text and re-encodes to the same bytes`, () => {
      const bytes = hex(block);
      const ranges = literalRanges(bytes);
      expect(ranges.length).toBe(literals.length);
      ranges.forEach(([start, end], i) => {
        const text = literals[i]!;
        const decoded = decodeStringLiteral(bytes, start, 8);
        expect(decoded).toEqual({ value: text, next: end });
        const data = huffmanEncode(ascii(text));
        expect(bytes[start]).toBe(0x80 | data.length); // H = 1, 7-bit length
        expect(toHex(data)).toBe(toHex(bytes.subarray(start + 1, end)));
      });
    });
  }
});

describe('Huffman decoding errors (RFC 7541 §5.2)', () => {
  it('refuses padding longer than 7 bits', () => {
    // '0' is 00000 (5 bits); then 11111111 111 = 11 bits of ones.
    expect(huffmanDecode(hex('07ff'))).toBe('padding');
    expect(huffmanDecode(hex('ff'))).toBe('padding');
  });

  it('refuses padding that is not the most significant bits of EOS', () => {
    // '0' (00000) followed by 000: zero padding.
    expect(huffmanDecode(hex('00'))).toBe('padding');
  });

  it('refuses an EOS symbol inside the string', () => {
    expect(huffmanDecode(hex('ffff fffc'))).toBe('eos');
  });

  it('accepts the empty string and one-symbol strings with short ones-padding', () => {
    expect(huffmanDecode(new Uint8Array(0))).toEqual(new Uint8Array(0));
    expect(huffmanDecode(hex('07'))).toEqual(ascii('0')); // 00000 111
  });
});

describe('Huffman properties', () => {
  it('round-trips every single byte value and all of them at once', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(huffmanDecode(huffmanEncode(all))).toEqual(all);
    for (let b = 0; b < 256; b++) expect(huffmanDecode(huffmanEncode(Uint8Array.of(b)))).toEqual(Uint8Array.of(b));
  });

  it('round-trips random strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(huffmanDecode(huffmanEncode(bytes))).toEqual(bytes);
      }),
    );
  });

  it('never throws on random input: bytes or a named failure', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = huffmanDecode(bytes);
        expect(r instanceof Uint8Array || r === 'eos' || r === 'padding').toBe(true);
        if (r instanceof Uint8Array) expect(huffmanEncode(r)).toEqual(bytes); // a valid string has exactly one encoding
      }),
    );
  });

  it('string literal helpers keep one character per octet', () => {
    expect(stringToOctets('\u00ff\u0000a')).toEqual(Uint8Array.of(0xff, 0, 0x61));
    expect(() => stringToOctets('\u0100')).toThrow(RangeError);
  });
});
