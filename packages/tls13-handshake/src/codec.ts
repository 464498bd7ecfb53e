/**
 * @module codec
 * The presentation-language codec of RFC 8446 §3: a bounds-checked Reader
 * (truncation → decode_error) and a growable Writer with vectors of 1/2/3-byte lengths.
 */
import { AlertDescription, fail } from './alert.js';

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  private need(n: number): void {
    // RFC 8446 §6.2: a message that cannot be parsed → decode_error.
    if (n > this.buf.length - this.pos) fail(AlertDescription.decode_error, 'truncated message');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = (this.buf[this.pos]! << 16) | (this.buf[this.pos + 1]! << 8) | this.buf[this.pos + 2]!;
    this.pos += 3;
    return v;
  }
  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** opaque x<min..2^(8*lenBytes)-1>. */
  vec(lenBytes: 1 | 2 | 3, min = 0): Uint8Array {
    const n = lenBytes === 1 ? this.u8() : lenBytes === 2 ? this.u16() : this.u24();
    if (n < min) fail(AlertDescription.decode_error, 'vector shorter than its minimum');
    return this.bytes(n);
  }
  /** A sub-reader over a length-prefixed vector. */
  sub(lenBytes: 1 | 2 | 3, min = 0): Reader {
    return new Reader(this.vec(lenBytes, min));
  }
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
  end(): void {
    if (this.remaining !== 0) fail(AlertDescription.decode_error, 'trailing bytes');
  }
  /** Decode a list of u16 values from a vector's remaining bytes (must be even). */
  u16List(): number[] {
    if (this.remaining % 2 !== 0) fail(AlertDescription.decode_error, 'odd-length u16 list');
    const out: number[] = [];
    while (this.remaining > 0) out.push(this.u16());
    return out;
  }
}

export class Writer {
  private buf: Uint8Array;
  private len = 0;
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
  }
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(v: number): this {
    this.grow(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    return this.u8(v >> 8).u8(v);
  }
  u24(v: number): this {
    return this.u8(v >> 16)
      .u8(v >> 8)
      .u8(v);
  }
  u32(v: number): this {
    return this.u16(Math.floor(v / 0x10000)).u16(v & 0xffff);
  }
  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  /** Writes a vector whose body `f` fills; the length prefix is patched afterwards. */
  vec(lenBytes: 1 | 2 | 3, f: (w: Writer) => void): this {
    const at = this.open(lenBytes);
    f(this);
    return this.close(at, lenBytes);
  }
  /** Starts a vector: room for its length prefix, patched by `close(at, lenBytes)` (no closure, for hot paths). */
  open(lenBytes: 1 | 2 | 3): number {
    this.grow(lenBytes);
    const at = this.len;
    this.len += lenBytes;
    return at;
  }
  /** Ends the vector `open` started at `at`: writes its length. */
  close(at: number, lenBytes: 1 | 2 | 3): this {
    const n = this.len - at - lenBytes;
    if (n >= 2 ** (8 * lenBytes)) throw new RangeError('vector too long');
    for (let i = 0; i < lenBytes; i++) this.buf[at + i] = (n >> (8 * (lenBytes - 1 - i))) & 0xff;
    return this;
  }
  vecBytes(lenBytes: 1 | 2 | 3, b: Uint8Array): this {
    const at = this.open(lenBytes);
    return this.bytes(b).close(at, lenBytes);
  }
  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }
  /** Drop what was written after `length` (an optional part that turned out empty). */
  truncate(length: number): this {
    this.len = Math.min(this.len, length);
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
  /**
   * A view of what was written from `from` on, without a copy. It stays valid: later writes go past it,
   * and growing copies into a new buffer, leaving this one as it is (only `truncate` below it would not).
   */
  view(from: number): Uint8Array {
    return this.buf.subarray(from, this.len);
  }
}

const utf8 = new TextEncoder();
const UTF8_ONCE = new Map<string, Uint8Array>();

/**
 * A name as UTF-8 bytes (an ALPN protocol, a host name): the few a process
 * uses encoded once (up to 256 kept), not per message. The bytes are shared:
 * callers write them out and never change them.
 */
export function utf8Once(s: string): Uint8Array {
  let b = UTF8_ONCE.get(s);
  if (!b) {
    b = utf8.encode(s);
    if (UTF8_ONCE.size < 256) UTF8_ONCE.set(s, b);
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Lower-case hex of `b` (key log lines, OID and map keys). */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Equal length and bytes, compared without an early exit (the one byte comparison of this package). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
