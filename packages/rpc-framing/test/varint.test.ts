import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { readVarint, varintLength, varintLengthFromFirstByte, writeVarint } from '../src/varint.js';
import { hex, unhex } from './helpers.js';

// RFC 9000 Appendix A.1 (Sample Variable-Length Integer Decoding), plus the shortest forms we write.
const decodeVectors = [
  { name: 'RFC 9000 §A.1 8-byte', bytes: 'c2197c5eff14e88c', value: 151288809941952652 },
  { name: 'RFC 9000 §A.1 4-byte', bytes: '9d7f3e7d', value: 494878333 },
  { name: 'RFC 9000 §A.1 2-byte', bytes: '7bbd', value: 15293 },
  { name: 'RFC 9000 §A.1 1-byte', bytes: '25', value: 37 },
  { name: 'RFC 9000 §A.1 2-byte, not minimal', bytes: '4025', value: 37 },
];

const encodeVectors = [
  { value: 0, bytes: '00' },
  { value: 37, bytes: '25' },
  { value: 63, bytes: '3f' },
  { value: 64, bytes: '4040' },
  { value: 15293, bytes: '7bbd' },
  { value: 16383, bytes: '7fff' },
  { value: 16384, bytes: '80004000' },
  { value: 494878333, bytes: '9d7f3e7d' },
  { value: 1073741823, bytes: 'bfffffff' },
  { value: 1073741824, bytes: 'c000000040000000' },
  { value: Number.MAX_SAFE_INTEGER, bytes: 'c01fffffffffffff' },
];

describe('QUIC varint (RFC 9000 §16)', () => {
  test.each(decodeVectors)('decodes $name', ({ bytes, value }) => {
    const b = unhex(bytes);
    const n = varintLengthFromFirstByte(b[0]!);
    expect(n).toBe(b.length);
    // The 8-byte sample exceeds 2^53: rpc-framing reads it as Infinity (above any frame limit).
    expect(readVarint(b, 0, n)).toBe(Number.isSafeInteger(value) ? value : Infinity);
  });

  test.each(encodeVectors)('encodes $value as $bytes', ({ value, bytes }) => {
    const out = new Uint8Array(8);
    const n = writeVarint(out, 0, value);
    expect(n).toBe(varintLength(value));
    expect(hex(out.subarray(0, n))).toBe(bytes);
  });

  test('round-trips every safe integer shape', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (v) => {
        const out = new Uint8Array(8);
        const n = writeVarint(out, 0, v);
        return varintLengthFromFirstByte(out[0]!) === n && readVarint(out, 0, n as 1 | 2 | 4 | 8) === v;
      }),
    );
  });

  test('rejects values it cannot encode', () => {
    expect(() => writeVarint(new Uint8Array(8), 0, -1)).toThrow(RangeError);
    expect(() => writeVarint(new Uint8Array(8), 0, 2 ** 53)).toThrow(RangeError);
    expect(() => writeVarint(new Uint8Array(8), 0, 1.5)).toThrow(RangeError);
  });
});
