/**
 * @module varint
 * QUIC variable-length integers (RFC 9000 §16), the length prefix of every
 * rpc-framing frame: the two most significant bits of the first byte give
 * the encoding's length (00 → 1, 01 → 2, 10 → 4, 11 → 8 bytes), the rest is
 * the value in network byte order. Lengths here never exceed 2^53 - 1, so
 * values are numbers.
 */

/** Bytes needed to encode `value` in the shortest form (RFC 9000 §16, Table 4). */
export function varintLength(value: number): 1 | 2 | 4 | 8 {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

/** Writes `value` (0 ≤ value ≤ 2^53 - 1) at `offset` in its shortest form; returns the bytes written. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint value out of range: ${value}`);
  const n = varintLength(value);
  if (n === 1) {
    out[offset] = value;
  } else if (n === 2) {
    out[offset] = 0x40 | (value >>> 8);
    out[offset + 1] = value & 0xff;
  } else if (n === 4) {
    out[offset] = 0x80 | (value >>> 24);
    out[offset + 1] = (value >>> 16) & 0xff;
    out[offset + 2] = (value >>> 8) & 0xff;
    out[offset + 3] = value & 0xff;
  } else {
    const hi = Math.floor(value / 0x100000000);
    const lo = value >>> 0;
    out[offset] = 0xc0 | (hi >>> 24);
    out[offset + 1] = (hi >>> 16) & 0xff;
    out[offset + 2] = (hi >>> 8) & 0xff;
    out[offset + 3] = hi & 0xff;
    out[offset + 4] = lo >>> 24;
    out[offset + 5] = (lo >>> 16) & 0xff;
    out[offset + 6] = (lo >>> 8) & 0xff;
    out[offset + 7] = lo & 0xff;
  }
  return n;
}

/** The encoding length announced by a varint's first byte (RFC 9000 §16). */
export function varintLengthFromFirstByte(first: number): 1 | 2 | 4 | 8 {
  return (1 << (first >>> 6)) as 1 | 2 | 4 | 8;
}

/**
 * Reads a varint of `n` bytes (`varintLengthFromFirstByte`) from `buf` at
 * `offset`; the caller checked that `n` bytes are there. Values above 2^53 - 1
 * come back as `Infinity` (larger than any frame limit).
 */
export function readVarint(buf: Uint8Array, offset: number, n: 1 | 2 | 4 | 8): number {
  let v = buf[offset]! & 0x3f;
  for (let i = 1; i < n; i++) v = v * 256 + buf[offset + i]!;
  return Number.isSafeInteger(v) ? v : Infinity;
}
