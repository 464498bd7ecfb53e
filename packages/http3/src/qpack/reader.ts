/**
 * @module qpack/reader
 * Reading the primitives of RFC 9204 §4.1 (prefixed integers, string
 * literals) from a buffer, for field sections and for the encoder and decoder
 * streams alike. Running out of input throws `Truncated` (a field section
 * turns it into QPACK_DECOMPRESSION_FAILED, a stream waits for more bytes);
 * anything else wrong throws a `QpackError` with the reader's error code.
 * Also the first-byte dispatch every instruction and representation table
 * uses.
 */
import { QpackError, type QpackErrorCode } from './errors.js';
import { huffmanDecodeInto } from './huffman.js';
import { decodePrefixedInteger } from './prefixed-integer.js';
import { octetsToString } from './string-literal.js';

/** The input ends inside an instruction or representation that needs bytes up to `end` (exclusive) at least. */
export class Truncated {
  constructor(readonly end: number) {}
}

/** Where Huffman-coded strings are decoded before they become strings (reused: decoding is synchronous). */
let scratch = new Uint8Array(256);

export class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
    /** The RFC 9204 §6 code of anything malformed here. */
    readonly code: QpackErrorCode,
  ) {}

  fail(reason: string): QpackError {
    return new QpackError(this.code, reason);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next byte, not consumed. */
  peek(): number {
    if (this.pos >= this.end) throw new Truncated(this.pos + 1);
    return this.buf[this.pos]!;
  }

  /** An integer with a `prefixBits`-bit prefix (RFC 9204 §4.1.1). */
  integer(prefixBits: number, what: string): number {
    const r = decodePrefixedInteger(this.buf, this.pos, prefixBits, this.end);
    if (r === 'truncated') throw new Truncated(this.end + 1);
    // RFC 9204 §7.4: a value larger than we are able to decode is an error of the stream's kind.
    if (r === 'overflow') throw this.fail(`${what} is larger than 2^53 - 1`);
    this.pos = r.next;
    return r.value;
  }

  /**
   * A `prefixBits`-bit prefix string literal (RFC 9204 §4.1.2). `maxLength`
   * bounds the encoded length before any byte of the string is awaited or
   * copied (RFC 9204 §7.4); `tooLong` names the rule broken.
   */
  string(prefixBits: number, what: string, maxLength: (huffman: boolean) => number, tooLong: string): string {
    const huffman = (this.peek() & (1 << (prefixBits - 1))) !== 0;
    const length = this.integer(prefixBits - 1, `${what} length`);
    if (length > maxLength(huffman)) throw this.fail(`${what} of ${length} octets: ${tooLong}`);
    const start = this.pos;
    if (length > this.end - start) throw new Truncated(start + length);
    this.pos = start + length;
    const raw = this.buf.subarray(start, start + length);
    if (!huffman) return octetsToString(raw);
    const room = Math.floor((length * 8) / 5);
    if (scratch.length < room) scratch = new Uint8Array(Math.max(room, 2 * scratch.length));
    const n = huffmanDecodeInto(raw, scratch);
    if (typeof n === 'string') throw this.fail(`${what}: Huffman decoding failed (${n === 'eos' ? 'EOS symbol in the string' : 'invalid padding'}, RFC 7541 §5.2)`);
    return octetsToString(scratch.subarray(0, n));
  }
}

/** One row of an instruction or representation table: the first byte matches when `(b & mask) === pattern`. */
export interface FirstByteRow {
  readonly pattern: number;
  readonly mask: number;
}

/** The row index of every first byte (255: none matches), built from a table of disjoint patterns. */
export function firstByteDispatch(rows: readonly FirstByteRow[]): Uint8Array {
  const lut = new Uint8Array(256).fill(255);
  for (let b = 0; b < 256; b++) {
    const i = rows.findIndex((r) => (b & r.mask) === r.pattern);
    if (i >= 0) lut[b] = i;
  }
  return lut;
}
