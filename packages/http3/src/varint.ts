/**
 * @module varint
 * QUIC variable-length integers (RFC 9000 §16), used by HTTP/3 for stream
 * types, frame types, lengths and settings (RFC 9114 §1.2). A local copy: the
 * package's browser-safe core depends on no other package. Numbers for the hot path (lengths and
 * types lose nothing below 2^53), bigint where exact 62-bit values matter
 * (stream and push IDs, setting identifiers).
 */

/** RFC 9000 §16: the largest value a varint can carry, 2^62 - 1. */
export const VARINT_MAX = (1n << 62n) - 1n;

/** Number of bytes a varint occupies, from its first byte (RFC 9000 §16, Table 4). */
export function varintLengthFromFirstByte(first: number): 1 | 2 | 4 | 8 {
  return (1 << (first >>> 6)) as 1 | 2 | 4 | 8;
}

/** Number of bytes the shortest encoding of `value` takes. */
export function varintLength(value: number | bigint): 1 | 2 | 4 | 8 {
  // Lengths and frame types (every frame written): no BigInt made for them.
  if (typeof value === 'number' && value >= 0 && value < 0x40000000 && Number.isInteger(value)) return value < 0x40 ? 1 : value < 0x4000 ? 2 : 4;
  const v = BigInt(value);
  if (v < 0n || v > VARINT_MAX) throw new RangeError(`${value} is not a varint value`);
  if (v < 0x40n) return 1;
  if (v < 0x4000n) return 2;
  if (v < 0x40000000n) return 4;
  return 8;
}

/** Writes `value` at `out[offset]` in its shortest encoding; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number | bigint): number {
  const length = varintLength(value);
  if (offset + length > out.length) throw new RangeError('varint does not fit');
  if (typeof value === 'number' && length < 8) {
    // RFC 9000 §16: the two most significant bits of the first byte encode the length.
    if (length === 1) out[offset] = value;
    else if (length === 2) {
      out[offset] = 0x40 | (value >>> 8);
      out[offset + 1] = value & 0xff;
    } else {
      out[offset] = 0x80 | (value >>> 24);
      out[offset + 1] = (value >>> 16) & 0xff;
      out[offset + 2] = (value >>> 8) & 0xff;
      out[offset + 3] = value & 0xff;
    }
    return offset + length;
  }
  let v = BigInt(value);
  for (let i = length - 1; i >= 0; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[offset] = out[offset]! | ([0, 0x40, 0x80, 0, 0xc0][length >>> 1] ?? 0);
  return offset + length;
}

/** The shortest encoding of `value`. */
export function encodeVarint(value: number | bigint): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/** A decoded varint and the offset after it; `undefined` when `buf` ends inside it. */
export function decodeVarint(buf: Uint8Array, offset: number): { value: number; next: number } | undefined {
  if (offset >= buf.length) return undefined;
  const first = buf[offset]!;
  const length = varintLengthFromFirstByte(first);
  if (offset + length > buf.length) return undefined;
  let value = first & 0x3f;
  for (let i = 1; i < length; i++) value = value * 256 + buf[offset + i]!;
  return { value, next: offset + length };
}

/** As `decodeVarint`, exact to 62 bits. */
export function decodeVarintBig(buf: Uint8Array, offset: number): { value: bigint; next: number } | undefined {
  if (offset >= buf.length) return undefined;
  const first = buf[offset]!;
  const length = varintLengthFromFirstByte(first);
  if (offset + length > buf.length) return undefined;
  let value = BigInt(first & 0x3f);
  for (let i = 1; i < length; i++) value = (value << 8n) | BigInt(buf[offset + i]!);
  return { value, next: offset + length };
}
