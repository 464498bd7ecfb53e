/**
 * @module varint
 * Variable-length integers (RFC 9000 §16): 1, 2, 4 or 8 bytes, the two high
 * bits of the first byte giving the length, values up to 2^62 - 1.
 *
 * Precision: the `number` functions are exact up to Number.MAX_SAFE_INTEGER
 * (2^53 - 1). A larger wire value decodes to `VARINT_SATURATED` (2^53): a
 * value beyond any limit an endpoint can grant, which the caller cannot
 * mistake for a real one. Fields whose RFC bound lies above 2^53 (§19.8,
 * §19.11) are checked on the exact value with the `bigint` functions, which
 * are exact over the whole 62-bit range.
 */

/** Largest value a varint can carry: 2^62 - 1. */
export const VARINT_MAX = 4611686018427387903n;
/** What `number` decoding yields for a wire value of 2^53 or more. */
export const VARINT_SATURATED = 2 ** 53;

/** Encoded length (1, 2, 4 or 8) of the minimal varint for `n` (a non-negative integer <= 2^53). */
export function varintLength(n: number): 1 | 2 | 4 | 8 {
  if (n < 0x40) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x40000000) return 4;
  return 8;
}

/** Encoded length of the minimal varint for a bigint value. */
export function varintLengthBig(n: bigint): 1 | 2 | 4 | 8 {
  if (n < 0n || n > VARINT_MAX) throw new RangeError(`varint out of range: ${n}`);
  return n < 0x40000000n ? varintLength(Number(n)) : 8;
}

/**
 * Write `n` at `off` in `buf` with exactly `len` bytes (the minimal length by
 * default); returns the offset after it. RangeError when `n` does not fit
 * (in `len` bytes, or before `limit`: the buffer's end by default).
 */
export function writeVarint(buf: Uint8Array, off: number, n: number, len: 1 | 2 | 4 | 8 = varintLength(n), limit = buf.length): number {
  if (!(n >= 0) || !Number.isInteger(n) || n > VARINT_SATURATED) throw new RangeError(`varint out of range: ${n}`);
  if (off + len > limit) throw new RangeError('varint does not fit in the buffer');
  switch (len) {
    case 1:
      if (n >= 0x40) throw new RangeError(`${n} needs more than 1 byte`);
      buf[off] = n;
      return off + 1;
    case 2:
      if (n >= 0x4000) throw new RangeError(`${n} needs more than 2 bytes`);
      buf[off] = 0x40 | (n >>> 8);
      buf[off + 1] = n & 0xff;
      return off + 2;
    case 4:
      if (n >= 0x40000000) throw new RangeError(`${n} needs more than 4 bytes`);
      buf[off] = 0x80 | (n >>> 24);
      buf[off + 1] = (n >>> 16) & 0xff;
      buf[off + 2] = (n >>> 8) & 0xff;
      buf[off + 3] = n & 0xff;
      return off + 4;
    default:
      return writeEight(buf, off, Math.floor(n / 0x100000000), n >>> 0);
  }
}

/** Exact 62-bit write. */
export function writeVarintBig(buf: Uint8Array, off: number, n: bigint, limit = buf.length): number {
  const len = varintLengthBig(n);
  if (len < 8) return writeVarint(buf, off, Number(n), len, limit);
  if (off + 8 > limit) throw new RangeError('varint does not fit in the buffer');
  return writeEight(buf, off, Number(n >> 32n), Number(n & 0xffffffffn));
}

/** The 8-byte form (prefix 0b11) from the high and low 32 bits. */
function writeEight(buf: Uint8Array, off: number, hi: number, lo: number): number {
  buf[off] = 0xc0 | (hi >>> 24);
  buf[off + 1] = (hi >>> 16) & 0xff;
  buf[off + 2] = (hi >>> 8) & 0xff;
  buf[off + 3] = hi & 0xff;
  buf[off + 4] = lo >>> 24;
  buf[off + 5] = (lo >>> 16) & 0xff;
  buf[off + 6] = (lo >>> 8) & 0xff;
  buf[off + 7] = lo & 0xff;
  return off + 8;
}

/** Bytes needed to read the varint whose first byte is `b`. */
export function varintLengthOfFirstByte(b: number): 1 | 2 | 4 | 8 {
  return (1 << (b >>> 6)) as 1 | 2 | 4 | 8;
}
