import { describe, expect, it } from 'vitest';
import { QuicWireError, Reader, VARINT_MAX, VARINT_SATURATED, Writer, varintLength, writeVarint } from '../src/index.js';
import { hex, toHex } from './hex.js';

// RFC 9000 Appendix A.1 (and §16): the sample varints.
const RFC9000_A1 = [
  { name: '8-byte', bytes: 'c2197c5eff14e88c', value: 151288809941952652n },
  { name: '4-byte', bytes: '9d7f3e7d', value: 494878333n },
  { name: '2-byte', bytes: '7bbd', value: 15293n },
  { name: '1-byte', bytes: '25', value: 37n },
  { name: 'non-minimal 2-byte', bytes: '4025', value: 37n },
];

describe('varint (RFC 9000 §16)', () => {
  for (const v of RFC9000_A1) {
    it(`RFC 9000 A.1 ${v.name} ${v.bytes} decodes to ${v.value}`, () => {
      const r = new Reader(hex(v.bytes));
      expect(r.varintBig()).toBe(v.value);
      expect(r.atEnd).toBe(true);
      const n = new Reader(hex(v.bytes)).varint();
      expect(n).toBe(v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : VARINT_SATURATED);
    });
  }

  it('writes the minimal encoding for each RFC value', () => {
    for (const v of RFC9000_A1.filter((x) => x.name !== 'non-minimal 2-byte')) {
      const w = Writer.alloc(8);
      w.varintBig(v.value);
      expect(toHex(w.written())).toBe(v.bytes);
    }
  });

  it('round-trips the 62-bit range exactly with bigint, at every length boundary', () => {
    for (const x of [0n, 63n, 64n, 16383n, 16384n, 1073741823n, 1073741824n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 60n + 1n, VARINT_MAX]) {
      const w = Writer.alloc(8);
      w.varintBig(x);
      expect(new Reader(w.written()).varintBig()).toBe(x);
    }
    expect(() => Writer.alloc(8).varintBig(VARINT_MAX + 1n)).toThrow(RangeError);
    expect(() => Writer.alloc(8).varintBig(-1n)).toThrow(RangeError);
  });

  it('numbers are exact up to 2^53 - 1 and saturate to 2^53 above it', () => {
    const w = Writer.alloc(16);
    w.varint(Number.MAX_SAFE_INTEGER);
    w.varintBig(2n ** 61n);
    const r = new Reader(w.written());
    expect(r.varint()).toBe(Number.MAX_SAFE_INTEGER);
    expect(r.varint()).toBe(VARINT_SATURATED);
  });

  it('lengths and forced lengths', () => {
    expect([0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30].map(varintLength)).toEqual([1, 1, 2, 2, 4, 4, 8]);
    const b = new Uint8Array(4);
    expect(writeVarint(b, 0, 5, 4)).toBe(4);
    expect(toHex(b)).toBe('80000005');
    expect(() => writeVarint(b, 0, 64, 1)).toThrow(RangeError);
    expect(() => writeVarint(b, 2, 5, 4)).toThrow(RangeError);
    expect(() => writeVarint(b, 0, -1)).toThrow(RangeError);
    expect(() => writeVarint(b, 0, 1.5)).toThrow(RangeError);
  });

  it('truncated input raises QuicWireError with the reader’s code, never reads past the end', () => {
    for (const s of ['', '40', '80ff', 'c0000000000000']) {
      const r = new Reader(hex(s));
      expect(() => r.varint()).toThrow(QuicWireError);
      expect(() => new Reader(hex(s)).varintBig()).toThrow(QuicWireError);
    }
    try {
      new Reader(hex('80'), 0, 1, 0x08).varint();
    } catch (e) {
      expect(QuicWireError.isInstance(e) && e.code).toBe(0x08);
    }
  });

  it('byte strings are views, not copies', () => {
    const buf = hex('03aabbcc');
    const r = new Reader(buf);
    const v = r.lengthPrefixed();
    buf[1] = 0x11;
    expect(v[0]).toBe(0x11);
  });
});
