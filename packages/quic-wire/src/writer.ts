/**
 * @module writer
 * A cursor that writes into a caller-provided, preallocated `Uint8Array`, so
 * a transport can build a whole datagram in one buffer. Running past the end
 * is a caller bug (RangeError): callers size their writes with the `*Size`
 * functions first.
 */
import { varintLength, varintLengthBig, writeVarint, writeVarintBig } from './varint.js';

/** A write cursor into a preallocated `buf[start, end)`; writing past `end` is a `RangeError` (size writes first). */
export class Writer {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** Allocate a fresh buffer of `size` bytes to write into. */
  static alloc(size: number): Writer {
    return new Writer(new Uint8Array(size));
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private room(n: number): void {
    if (this.end - this.pos < n) throw new RangeError(`writer overflow: ${n} byte(s) into ${this.end - this.pos}`);
  }

  /** One byte. */
  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  /** A big-endian 16-bit integer. */
  u16(v: number): void {
    this.room(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
  }

  /** A big-endian 32-bit integer. */
  u32(v: number): void {
    this.room(4);
    const b = this.buf;
    b[this.pos++] = v >>> 24;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
  }

  /** Minimal varint, or exactly `len` bytes when given (for fields patched later). */
  varint(v: number, len?: 1 | 2 | 4 | 8): void {
    const n = len ?? varintLength(v);
    // The room is checked here, not by a view of buf up to `end` (an object per varint written).
    this.room(n);
    this.pos = writeVarint(this.buf, this.pos, v, n);
  }

  /** A minimal RFC 9000 §16 varint from a bigint (every value up to 2^62 − 1, exactly). */
  varintBig(v: bigint): void {
    this.room(varintLengthBig(v));
    this.pos = writeVarintBig(this.buf, this.pos, v);
  }

  /** The bytes of `v`, copied in. */
  bytes(v: Uint8Array): void {
    this.room(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** A varint length then the bytes. */
  lengthPrefixed(v: Uint8Array): void {
    this.varint(v.length);
    this.bytes(v);
  }

  /** `n` zero bytes (PADDING frames are zero bytes). */
  zeros(n: number): void {
    this.room(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  /** The bytes written so far from `start` (a view). */
  written(start = 0): Uint8Array {
    return this.buf.subarray(start, this.pos);
  }
}
