import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeVarint, decodeVarintBig, encodeVarint, VARINT_MAX, varintLength } from '../src/varint.js';
import { hex, toHex } from './support/hex.js';

// RFC 9000 Appendix A.1 sample varints (and the 2-byte alternative encoding of 37).
const VECTORS: [string, bigint][] = [
  ['c2197c5eff14e88c', 151288809941952652n],
  ['9d7f3e7d', 494878333n],
  ['7bbd', 15293n],
  ['25', 37n],
];

describe('varint (RFC 9000 §16)', () => {
  it.each(VECTORS)('A.1: %s decodes to %s and re-encodes identically', (encoded, value) => {
    expect(decodeVarintBig(hex(encoded), 0)).toEqual({ value, next: encoded.length / 2 });
    expect(toHex(encodeVarint(value))).toBe(encoded);
    if (value < 2n ** 53n) expect(toHex(encodeVarint(Number(value)))).toBe(encoded);
  });

  it('A.1: 0x4025 is a valid two-byte encoding of 37', () => {
    expect(decodeVarint(hex('4025'), 0)).toEqual({ value: 37, next: 2 });
  });

  it('reports a varint cut short as undefined', () => {
    expect(decodeVarint(hex('9d7f3e'), 0)).toBeUndefined();
    expect(decodeVarint(hex(''), 0)).toBeUndefined();
  });

  it('encodes the boundaries with the shortest length', () => {
    expect([0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30].map((v) => varintLength(v))).toEqual([1, 1, 2, 2, 4, 4, 8]);
    expect(varintLength(VARINT_MAX)).toBe(8);
    expect(() => varintLength(VARINT_MAX + 1n)).toThrow(RangeError);
    expect(() => varintLength(-1)).toThrow(RangeError);
  });

  it('round-trips every value (numbers and bigints agree)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: VARINT_MAX }), (v) => {
        const bytes = encodeVarint(v);
        expect(decodeVarintBig(bytes, 0)).toEqual({ value: v, next: bytes.length });
        if (v <= BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(encodeVarint(Number(v))).toEqual(bytes);
          expect(decodeVarint(bytes, 0)).toEqual({ value: Number(v), next: bytes.length });
        }
      }),
    );
  });
});
