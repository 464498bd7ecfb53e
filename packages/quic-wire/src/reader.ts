/**
 * @module reader
 * A bounds-checked cursor over a `Uint8Array`. Every read checks the
 * remaining length first and throws `QuicWireError` with the code the
 * caller chose (FRAME_ENCODING_ERROR for frames, TRANSPORT_PARAMETER_ERROR
 * for transport parameters, ...); byte strings come back as `subarray`
 * views, never copies.
 */
import { QuicWireError, TransportErrorCode } from './errors.js';
import { VARINT_SATURATED } from './varint.js';

/** A bounds-checked read cursor over `buf[start, end)`; every read throws `QuicWireError` (with `errorCode`) instead of running past `end`. */
export class Reader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
    /** The transport error code a truncation or malformed value raises. */
    public errorCode: number = TransportErrorCode.FRAME_ENCODING_ERROR,
    /** Frame type being decoded, attached to errors. */
    public frameType?: number,
  ) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Throws `QuicWireError(code, message)` carrying the frame type being decoded. */
  fail(message: string, code = this.errorCode): never {
    throw new QuicWireError(code, message, this.frameType);
  }

  /** Throws unless `n` more bytes remain. */
  need(n: number): void {
    if (this.end - this.pos < n) this.fail(`truncated: need ${n} byte(s), have ${this.end - this.pos}`);
  }

  /** One byte. */
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** A big-endian 16-bit integer. */
  u16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  /** A big-endian 32-bit unsigned integer. */
  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** RFC 9000 §16 varint as a number; 2^53 and above saturate to VARINT_SATURATED (see varint.ts). */
  varint(): number {
    this.need(1);
    const b = this.buf;
    const p = this.pos;
    const first = b[p]!;
    switch (first >>> 6) {
      case 0:
        this.pos = p + 1;
        return first;
      case 1:
        this.need(2);
        this.pos = p + 2;
        return ((first & 0x3f) << 8) | b[p + 1]!;
      case 2:
        this.need(4);
        this.pos = p + 4;
        return (((first & 0x3f) << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      default: {
        this.need(8);
        this.pos = p + 8;
        const hi = (((first & 0x3f) << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
        if (hi >= 0x200000) return VARINT_SATURATED;
        const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
        return hi * 0x100000000 + lo;
      }
    }
  }

  /** RFC 9000 §16 varint, exact over the whole 62-bit range. */
  varintBig(): bigint {
    this.need(1);
    const first = this.buf[this.pos]!;
    if (first >>> 6 < 3) return BigInt(this.varint());
    this.need(8);
    const p = this.pos;
    const b = this.buf;
    this.pos = p + 8;
    const hi = (((first & 0x3f) << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    const lo = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** `n` bytes as a view (no copy). */
  bytes(n: number): Uint8Array {
    if (!(n >= 0)) this.fail(`negative length ${n}`);
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A varint length followed by that many bytes. */
  lengthPrefixed(): Uint8Array {
    return this.bytes(this.varint());
  }

  /** The rest of the input as a view. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }
}
